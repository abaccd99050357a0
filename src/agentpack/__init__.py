"""agentpack: a package manager and registry for agent domain packages."""

__version__ = "0.1.0"
