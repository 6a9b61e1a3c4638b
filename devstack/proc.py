"""Starting detached processes, remembering them in pid files, and stopping them by pid."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path


class StartupError(Exception):
    """A server did not come up; carries the log whose tail explains why."""

    def __init__(self, message: str, log: Path | None = None, tail: str | None = None):
        super().__init__(message)
        self.log = log
        self.tail = tail  # the log's tail as it was at the failure, if taken then


def _read_end(path: Path, size: int) -> str:
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(0, handle.tell() - size))
        return handle.read().decode("utf-8", "replace")


def log_tail(path: Path | None, lines: int = 40) -> str:
    """The log's last lines, from devstack's last start marker on (older runs are noise)."""
    if path is None:
        return ""
    try:
        data = _read_end(path, 64 * 1024)
    except OSError as exc:
        return f"(no log: {exc})"
    marker = data.rfind("\n=== devstack ")
    if marker >= 0:
        data = data[marker + 1 :]
    return "\n".join(data.splitlines()[-lines:])


_ERROR_LINE = re.compile(
    r"^(?:[A-Za-z_][\w.]*(?:Error|Exception|Exit|Interrupt)\b.*"  # a Python exception
    r"|.*\b(?:FATAL|PANIC):.*"  # PostgreSQL
    r"|\[[^]]*\] (?:ERROR|FATAL) .*)$"  # Kafka's log4j lines
)


def first_error(path: Path | None) -> str | None:
    """The first error line logged since devstack last started this process, if any."""
    if path is None:
        return None
    try:
        data = _read_end(path, 256 * 1024)
    except OSError:
        return None
    data = data[data.rfind("\n=== devstack ") + 1 :]
    for text in data.splitlines():
        if _ERROR_LINE.match(text.strip()):
            return text.strip()
    return None


# --- /proc helpers -----------------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat from field 3 (state) on; the comm field may contain spaces."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def start_ticks(pid: int) -> int | None:
    """When the process started (clock ticks since boot): tells a process from a reused pid."""
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def is_alive(pid: int, ticks: int | None = None) -> bool:
    fields = _stat_fields(pid)
    if fields is None or fields[0] in ("Z", "X"):  # gone, or a zombie nobody reaped yet
        return False
    return ticks is None or int(fields[19]) == ticks


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields and fields[0] not in ("Z", "X") and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


# --- pid files --------------------------------------------------------------------------------


@dataclass
class PidRecord:
    name: str
    pid: int
    ticks: int | None
    path: Path

    @property
    def alive(self) -> bool:
        return is_alive(self.pid, self.ticks)


def write_pid_file(path: Path, name: str, pid: int, cmd: Sequence[str] = ()) -> PidRecord:
    ticks = start_ticks(pid)
    data = {"name": name, "pid": pid, "start_ticks": ticks, "cmd": list(cmd)}
    tmp = path.with_suffix(".pid.tmp")
    tmp.write_text(json.dumps(data) + "\n")
    tmp.replace(path)
    return PidRecord(name, pid, ticks, path)


def read_pid_file(path: Path) -> PidRecord | None:
    try:
        raw = path.read_text().strip()
    except OSError:
        return None
    try:
        data = json.loads(raw)
        if isinstance(data, int):
            return PidRecord(path.stem, data, None, path)
        return PidRecord(str(data.get("name", path.stem)), int(data["pid"]), data.get("start_ticks"), path)
    except (ValueError, KeyError, TypeError):
        return None


def running(path: Path) -> PidRecord | None:
    """The live process recorded in `path`, or None (a stale pid file is removed)."""
    record = read_pid_file(path)
    if record is None:
        path.unlink(missing_ok=True)
        return None
    if not record.alive:
        path.unlink(missing_ok=True)
        return None
    return record


def running_as(path: Path, marker: str) -> PidRecord | None:
    """As ``running``, but only when the process's command line contains ``marker`` (a reused pid
    that now belongs to something else is not ours)."""
    record = running(path)
    if record is not None and marker not in cmdline(record.pid):
        return None
    return record


def stop_recorded(record: PidRecord | None, path: Path, *, timeout: float, report: Callable[[str], None]) -> bool:
    """Stop the process ``record`` names (SIGTERM, then SIGKILL after ``timeout``); True if one ran."""
    if record is None:
        path.unlink(missing_ok=True)
        return False
    stop_all([record], timeout=timeout, report=report)
    return True


# --- starting ---------------------------------------------------------------------------------


def start_detached(
    cmd: Sequence[str],
    *,
    log: Path,
    pid_file: Path,
    name: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> tuple[subprocess.Popen[bytes], PidRecord]:
    """Start `cmd` in its own session (so it outlives us and ^C), output appended to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        out.write(f"\n=== devstack {stamp}: {' '.join(cmd)}\n".encode())
        out.flush()
        proc = subprocess.Popen(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            start_new_session=True,
            close_fds=True,
        )
    record = write_pid_file(pid_file, name, proc.pid, cmd)
    return proc, record


def wait_until(
    check: Callable[[], bool],
    *,
    what: str,
    timeout: float,
    log: Path | None = None,
    still_running: Callable[[], bool] | None = None,
    interval: float = 0.25,
) -> None:
    """Poll `check` until it returns True; fail early if the process died, or at the timeout."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            if check():
                return
        except Exception as exc:  # the server is not answering yet
            last_error = exc
        if still_running is not None and not still_running():
            raise StartupError(f"{what}: the process exited during startup", log)
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise StartupError(f"{what}: no answer within {timeout:.0f}s{detail}", log)
        time.sleep(interval)


def popen_alive(proc: subprocess.Popen[bytes]) -> Callable[[], bool]:
    return lambda: proc.poll() is None


# --- stopping ---------------------------------------------------------------------------------


def _leftovers(record: PidRecord) -> list[int]:
    """Live processes of the record: its process group (gunicorn's workers), or the process."""
    if is_alive(record.pid) and not record.alive:
        return []  # the pid now belongs to a process we did not start
    members = group_members(record.pid)
    if record.alive and record.pid not in members:
        members.append(record.pid)
    return members


def _signal(record: PidRecord, sig: int) -> None:
    members = _leftovers(record)
    if not members:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if record.pid in members and os.getpgid(record.pid) != record.pid:
            os.kill(record.pid, sig)  # not a group leader: signal just the process
        else:
            os.killpg(record.pid, sig)


def stop_all(records: Iterable[PidRecord], *, timeout: float, report: Callable[[str], None]) -> None:
    """SIGTERM each process (group), wait up to `timeout`, then SIGKILL what is left."""
    records = list(records)
    for record in records:
        _signal(record, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    pending = [r for r in records if _leftovers(r)]
    while pending and time.monotonic() < deadline:
        time.sleep(0.2)
        pending = [r for r in pending if _leftovers(r)]
    for record in pending:
        report(f"{record.name} (pid {record.pid}) ignored SIGTERM for {timeout:.0f}s; sending SIGKILL")
        with contextlib.suppress(ProcessLookupError, PermissionError):
            for pid in _leftovers(record):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while pending and time.monotonic() < deadline:
        time.sleep(0.1)
        pending = [r for r in pending if _leftovers(r)]
    for record in records:
        if record in pending:
            report(f"{record.name} (pid {record.pid}) is still there after SIGKILL")
        else:
            record.path.unlink(missing_ok=True)


# --- ports ------------------------------------------------------------------------------------


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        if probe.connect_ex((host, port)) == 0:
            return True
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def require_free_port(port: int, what: str, env_var: str | None = None) -> None:
    if port_in_use(port):
        hint = f"; choose another with {env_var}=<port>" if env_var else ""
        raise StartupError(
            f"{what}: port 127.0.0.1:{port} is already in use by a process devstack did not "
            f"start (see `ss -ltnp 'sport = :{port}'`){hint}"
        )


def run_checked(
    cmd: Sequence[str],
    *,
    what: str,
    timeout: float,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    new_session: bool = False,
) -> str:
    """Run a command to completion; on failure raise StartupError with its output."""
    try:
        result = subprocess.run(
            list(cmd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            cwd=cwd,
            timeout=timeout,
            start_new_session=new_session,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode("utf-8", "replace")
        if log is not None:
            _append(log, output)
        raise StartupError(f"{what}: timed out after {timeout:.0f}s\n{output[-4000:]}", log) from None
    except FileNotFoundError as exc:
        raise StartupError(f"{what}: {exc}") from None
    output = result.stdout.decode("utf-8", "replace")
    if log is not None:
        _append(log, f"$ {' '.join(cmd)}\n{output}")
    if result.returncode != 0:
        shown = "" if log is not None else f"\n{output[-4000:]}"
        raise StartupError(f"{what}: `{' '.join(cmd)}` exited with {result.returncode}{shown}", log)
    return output


def _append(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(text)


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (made if missing) while the block runs: two devstacks
    never fetch or build the same thing into the shared cache at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
