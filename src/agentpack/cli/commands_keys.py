"""`agentops key generate` and `agentops trust add|list|remove`: the parser entries and handlers.

Passphrases come from AGENTOPS_KEY_PASSPHRASE; when it is unset and stdin is a terminal, the
user is asked (getpass). Without a terminal and without the variable, keys are written
unencrypted (generate) and an encrypted key cannot be opened (sign).
"""

from __future__ import annotations

import os
import sys

from agentpack.cli.output import err, out, print_json

PASSPHRASE_VARIABLE = "AGENTOPS_KEY_PASSPHRASE"


def add_key_commands(groups, common, epilog: str) -> None:
    """Declare the `key` and `trust` command groups on the top-level sub-parsers."""
    key = groups.add_parser("key", help="create signing keys", epilog=epilog,
                            description="Create Ed25519 keys that sign packages (`package build --sign`).")
    verbs = key.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    p = verbs.add_parser("generate", help="create an Ed25519 key pair", epilog=epilog, parents=[common(json_flag=True)],
                         description="Write NAME.key (private, mode 0600, encrypted with $AGENTOPS_KEY_PASSPHRASE "
                                     "when set) and NAME.pub (public, PEM), and print the public key and its "
                                     "fingerprint (sha256 of the raw public key).")
    p.add_argument("name", metavar="NAME", help="key name (letters, digits, '.', '_', '-')")
    p.add_argument("--out", metavar="DIR", help="folder for the key files (default: the user data dir's keys/)")
    p.set_defaults(handler=cmd_key_generate)

    trust = groups.add_parser("trust", help="manage trusted signing keys", epilog=epilog,
                              description="Manage the keys whose signatures install trusts: per user, and per "
                                          "workspace in .agentops-trust/ (commit it to share it with a team).")
    verbs = trust.add_subparsers(dest="verb", metavar="VERB")
    verbs.required = True
    p = verbs.add_parser("add", help="trust a public key", epilog=epilog, parents=[common(json_flag=True)],
                         description="Trust a public key: a .pub file (PEM or base64) or the base64 key itself.")
    p.add_argument("pubkey", metavar="PUBKEY")
    p.add_argument("--name", metavar="N", help="name of the entry (default: the file's stem or the fingerprint)")
    p.add_argument("--workspace", action="store_true", help="add to the workspace's .agentops-trust/ instead")
    p.set_defaults(handler=cmd_trust_add)
    p = verbs.add_parser("list", help="list trusted keys", epilog=epilog, parents=[common(json_flag=True)],
                         description="List the trusted keys of the user and of the workspace.")
    p.set_defaults(handler=cmd_trust_list)
    p = verbs.add_parser("remove", help="stop trusting a key", epilog=epilog, parents=[common(json_flag=True)],
                         description="Remove a key (by name or fingerprint) from a trust store.")
    p.add_argument("name", metavar="N")
    p.add_argument("--workspace", action="store_true", help="remove from the workspace's store instead")
    p.set_defaults(handler=cmd_trust_remove)


def passphrase_for_new_key() -> str | None:
    """$AGENTOPS_KEY_PASSPHRASE, else asked twice on a terminal (empty: no encryption), else None."""
    value = os.environ.get(PASSPHRASE_VARIABLE)
    if value is not None:
        return value or None
    if not sys.stdin.isatty():
        return None
    import getpass

    first = getpass.getpass("Passphrase for the new key (empty for none): ")
    if first and getpass.getpass("Repeat the passphrase: ") != first:
        from agentpack.errors import UsageError

        raise UsageError("the passphrases differ; no key was written")
    return first or None


def passphrase_prompt():
    """A callback asking for a key's passphrase on a terminal, or None when stdin is not one."""
    if not sys.stdin.isatty():
        return None
    import getpass

    return lambda path: getpass.getpass(f"Passphrase for {path}: ")


def cmd_key_generate(args) -> int:
    from agentpack.services.keys import generate_key

    out_dir = args.out if args.out is None or args.directory is None or os.path.isabs(args.out) \
        else os.path.join(args.directory, args.out)
    passphrase = passphrase_for_new_key()
    pair = generate_key(args.name, out_dir, passphrase)
    if passphrase is None:
        err(f"warning: {pair.private_path} is stored unencrypted: anyone who can read it can sign as you "
            f"(set {PASSPHRASE_VARIABLE}, or answer the prompt on a terminal, to encrypt a key)")
    if args.json:
        print_json({"name": args.name, "private_key": pair.private_path, "public_key": pair.public_path,
                    "public_key_base64": pair.public_base64, "fingerprint": pair.fingerprint,
                    "encrypted": passphrase is not None})
        return 0
    err(f"Wrote {pair.private_path} (private, keep it secret) and {pair.public_path}")
    out(f"public key:  {pair.public_base64}")
    out(f"fingerprint: {pair.fingerprint}")
    return 0


def _store(args):
    from agentpack.services.keys import user_trust_store, workspace_trust_store
    from agentpack.services.workspace import open_workspace

    return workspace_trust_store(open_workspace(args.directory).root) if args.workspace else user_trust_store()


def cmd_trust_add(args) -> int:
    from agentpack.cli.commands import _in_dir
    from agentpack.services.keys import add_trust

    pubkey = _in_dir(args, args.pubkey)
    entry, added = add_trust(pubkey if os.path.lexists(pubkey) else args.pubkey, _store(args), args.name)
    if args.json:
        print_json(dict(entry.to_dict(), added=added))
        return 0
    verb = "Trusted" if added else "Already trusted"
    out(f"{verb} {entry.name} ({entry.fingerprint}) in the {entry.scope} trust store")
    return 0


def cmd_trust_list(args) -> int:
    from agentpack.services.keys import list_trust
    from agentpack.services.workspace import open_workspace

    entries = list_trust(open_workspace(args.directory).root)
    if args.json:
        print_json([e.to_dict() for e in entries])
        return 0
    for entry in entries:
        out(f"{entry.scope:<9}  {entry.name}  {entry.fingerprint}")
    if not entries:
        err("no trusted keys; add one with `agentops trust add PUBKEY`")
    return 0


def cmd_trust_remove(args) -> int:
    from agentpack.services.keys import remove_trust

    entry = remove_trust(args.name, _store(args))
    if args.json:
        print_json(entry.to_dict())
        return 0
    out(f"Removed {entry.name} ({entry.fingerprint}) from the {entry.scope} trust store")
    return 0
