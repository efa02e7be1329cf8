"""A throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries, a cluster in a temporary folder.

No Docker, no network: the server listens only on a Unix socket in its own folder. One cluster per test process
(per xdist worker), created on first use; each test gets a schema of its own (`new_database`: a URL whose
`search_path` is that schema), so tests never see each other's rows. A schema costs milliseconds where a CREATE
DATABASE costs a second. `fsync` is off: a crash of the test machine loses nothing a test needs.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path

import psycopg

SUPERUSER = "postgres"


def postgres_bin(name: str) -> Path:
    """The newest installed server binary `name` (initdb, pg_ctl, pg_dump…)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda path: int(Path(path).parts[4]))
    if not found:
        raise RuntimeError(
            f"PostgreSQL's {name} is not installed (Debian: apt-get install postgresql; ./dev test installs it)"
        )
    return Path(found[-1])


class PostgresCluster:
    def __init__(self) -> None:
        # Short and in /tmp: a Unix socket's path must stay under ~100 characters.
        self.root = Path(tempfile.mkdtemp(prefix="pgt"))
        self.data = self.root / "data"
        self.socket_dir = self.root
        self.port = 5432
        self._started = False

    def start(self) -> None:
        self._as_owner([str(postgres_bin("initdb")), "--auth=trust", f"--username={SUPERUSER}", "--encoding=UTF8",
                        "--no-sync", "-D", str(self.data)])
        options = (
            f"-k {self.socket_dir} -c listen_addresses='' -p {self.port} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=200 -c shared_buffers=32MB"
        )
        self._as_owner([str(postgres_bin("pg_ctl")), "-D", str(self.data), "-l", str(self.root / "log"), "-w",
                        "-o", options, "start"])
        self._started = True

    def stop(self) -> None:
        if self._started:
            self._as_owner([str(postgres_bin("pg_ctl")), "-D", str(self.data), "-m", "immediate", "-w", "stop"])
            self._started = False
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{SUPERUSER}@/{database}?host={self.socket_dir}&port={self.port}"

    def new_database(self) -> str:
        """The URL of a new, empty place for the bot's tables on this cluster (a schema of its own)."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(), autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{name}"')
        return f"{self.url()}&options=-csearch_path%3D{name}"

    def _as_owner(self, command: Sequence[str]) -> None:
        """PostgreSQL refuses to run as root: as root, run it as the `postgres` user Debian's package created."""
        if os.geteuid() == 0:
            shutil.chown(self.root, user=SUPERUSER)
            command = ["runuser", "-u", SUPERUSER, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)
