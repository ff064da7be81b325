"""``harness data fetch NAME``: download a release named by its dataset card, verify it, build it."""

from __future__ import annotations

import argparse


def register(data_subparsers: argparse._SubParsersAction) -> None:
    p = data_subparsers.add_parser("fetch", help="download a dataset's official release, verify it, build it")
    p.add_argument("name", help="dataset name (its plugin ships the card) or the path of a .toml card")
    p.add_argument("--url", help="download the release from this URL (a mirror) instead of the card's")
    p.add_argument("--sha256", help="expected sha256 of the release file (pins it when the card has none)")
    p.add_argument("--allow-unverified", action="store_true",
                   help="accept a file the card publishes no checksum for (its sha256 is printed)")
    p.add_argument("--no-build", action="store_true", help="only download and verify")
    p.add_argument("--force", action="store_true",
                   help="replace the dataset's existing store (results that recorded its revision become stale)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(func=handle_fetch)


def handle_fetch(args: argparse.Namespace) -> int:
    from harness.cards import load_card
    from harness.fetch import fetch
    from harness.settings import downloads_dir

    card = load_card(args.name)
    if not args.no_build and not args.force:  # refuse before downloading, not after
        from harness.catalog import store_location
        from harness.replacement import refuse_replacing

        refuse_replacing(store_location(card.name), f"data fetch {card.name}", "--no-build")
    dest = downloads_dir() / card.name
    path = fetch(card, dest, url=args.url, sha256=args.sha256, allow_unverified=args.allow_unverified,
                 progress=not args.quiet)
    print(f"fetched {card.name}: {path}")
    if args.no_build:
        return 0
    from harness.catalog import build_dataset
    from harness.store import open_store

    store = open_store(build_dataset(card.name, source=path, progress=not args.quiet, replace=args.force))
    print(f"built {store.name}: {store.n_participants} participants, {store.n_segments} segments, "
          f"revision {store.revision} -> {store.path}")
    return 0
