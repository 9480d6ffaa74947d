"""`jim queries register DIR`: register the operations of a folder of .graphql files.

Each file is one document (its operations and the fragments they use), registered under the
SHA-256 of its exact text — the hash an Apollo client computes for the same text — in Redis
(jim:pq:op:<hash>, never expiring). With PERSISTED_QUERIES_ONLY=true the proxy runs only
registered documents. A file that does not parse is reported with its line and column and
nothing is registered.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def register(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    p = sub.add_parser("register", help="register every .graphql file under DIR")
    p.add_argument("directory", type=Path)
    p.add_argument("--manifest", type=Path, help="also write {hash: {file, operations}} as JSON here")
    p.set_defaults(func=cmd_register)
    p = sub.add_parser("list", help="list the registered operations")
    p.set_defaults(func=cmd_list)


def _redis():
    import redis

    from jim.settings import load
    from proxy.settings import RedisSettings

    settings = load(RedisSettings)  # type: ignore[type-var]  # needs no DATABASE_URL
    return redis.Redis.from_url(settings.redis_url, socket_timeout=5)


def cmd_register(args: argparse.Namespace) -> int:
    from graphql import GraphQLError, OperationDefinitionNode, parse

    from proxy.persisted import REGISTERED, sha256

    if not args.directory.is_dir():
        print(f"jim: {args.directory} is not a directory", file=sys.stderr)
        return 2
    files = sorted(args.directory.rglob("*.graphql"))
    if not files:
        print(f"jim: no .graphql files under {args.directory}", file=sys.stderr)
        return 2
    documents: dict[str, dict] = {}
    errors = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        try:
            document = parse(text)
        except GraphQLError as exc:
            where = f"{exc.locations[0].line}:{exc.locations[0].column}" if exc.locations else "?"
            errors.append(f"{path}:{where}: {exc.message}")
            continue
        names = [d.name.value if d.name else "(anonymous)" for d in document.definitions
                 if isinstance(d, OperationDefinitionNode)]
        if not names:
            errors.append(f"{path}: no operation (fragments only)")
            continue
        documents[sha256(text)] = {"file": str(path.relative_to(args.directory)), "operations": names, "text": text}
    if errors:
        print("jim: nothing registered; fix these files first:\n  " + "\n  ".join(errors), file=sys.stderr)
        return 1
    try:
        client = _redis()
        with client.pipeline(transaction=True) as pipe:
            for digest, doc in documents.items():
                pipe.set(REGISTERED + digest, doc["text"])
            pipe.execute()
    except Exception as exc:  # redis-py raises several families; all mean "not stored"
        print(f"jim: could not store the operations in Redis ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    for digest, doc in documents.items():
        print(f"{digest}  {doc['file']}  {', '.join(doc['operations'])}")
    print(f"registered {len(documents)} document(s)")
    if args.manifest:
        manifest = {d: {"file": doc["file"], "operations": doc["operations"]} for d, doc in documents.items()}
        args.manifest.write_text(json.dumps(manifest, indent=2) + "\n")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from graphql import GraphQLError, OperationDefinitionNode, parse

    from proxy.persisted import REGISTERED

    client = _redis()
    for key in sorted(client.scan_iter(match=REGISTERED + "*", count=500)):
        text = (client.get(key) or b"").decode()
        try:
            names = [d.name.value if d.name else "(anonymous)" for d in parse(text).definitions
                     if isinstance(d, OperationDefinitionNode)]
        except GraphQLError:
            names = ["(unparseable)"]
        print(f"{key.decode()[len(REGISTERED):]}  {', '.join(names)}")
    return 0
