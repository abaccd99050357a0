import pytest

from agentpack.core.layout import install_path, package_path


@pytest.mark.parametrize(
    ("package", "kind", "relpath", "installed", "back"),
    [
        ("kit", "agents", "agents/triage.md", "agents/kit/triage.md", "agents/triage.md"),
        ("kit", "agents", "agents/a/b.md", "agents/kit/a/b.md", "agents/a/b.md"),
        ("kit", "agents", "prompts/x.md", "agents/kit/prompts/x.md", "agents/prompts/x.md"),
        ("team/kit", "workflows", "workflows/w.md", "workflows/team/kit/w.md", "workflows/w.md"),
        ("kit", "validations", "validations/g.yaml", "validations/kit/g.yaml", "validations/g.yaml"),
        ("kit", "config", "config/defaults.yaml", "config/kit/defaults.yaml", "config/defaults.yaml"),
        ("kit", "docs", "docs/guide.md", "docs/packages/kit/guide.md", "docs/guide.md"),
    ],
)
def test_package_path_inverts_install_path(package, kind, relpath, installed, back):
    assert install_path(package, kind, relpath) == installed
    assert package_path(package, installed) == (kind, back)


@pytest.mark.parametrize("installed", ["agents/other/x.md", "agents/kit/", "agents/kitchen/x.md", "README.md"])
def test_package_path_of_foreign_paths(installed):
    assert package_path("kit", installed) is None
