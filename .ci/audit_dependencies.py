"""Audit the installed environment against the package index's advisory data (pip-audit).

Exit 1 on a known vulnerability. When the advisory service cannot be reached (no network),
or answers for none of the installed packages, say in one line that the audit was skipped
and exit 0: CI must not fail for want of a network, but must not claim a clean audit either.
Run with the environment's interpreter: `.venv/bin/python .ci/audit_dependencies.py`.
"""

from __future__ import annotations

import json
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path

# Signs in pip-audit's traceback that the service was never reached (requests/urllib3 errors).
UNREACHABLE = (
    "ConnectionError",
    "ProxyError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
)


def verdict(returncode: int, report: dict | None, stderr: str) -> tuple[int, str]:
    """The exit code and the one-line summary for a pip-audit run."""
    if report is None:
        if any(sign in stderr for sign in UNREACHABLE):
            return 0, "pip-audit: skipped, the advisory service is unreachable (no network)"
        return 1, f"pip-audit failed (exit {returncode}):\n{stderr.strip()}"
    dependencies = report.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    if vulnerable:
        lines = [
            f"  {d['name']} {d['version']}: {v['id']} (fixed in {', '.join(v['fix_versions']) or 'no release yet'})"
            for d in vulnerable
            for v in d["vulns"]
        ]
        return 1, "pip-audit: known vulnerabilities:\n" + "\n".join(lines)
    if returncode != 0:
        return 1, f"pip-audit failed (exit {returncode}):\n{stderr.strip()}"
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        return 0, (
            f"pip-audit: skipped, the advisory service answered for none of the "
            f"{len(dependencies)} installed packages"
        )
    unaudited = len(dependencies) - len(audited)
    return 0, (
        f"pip-audit: no known vulnerabilities in the {len(audited)} packages audited"
        + (f" ({unaudited} not found by the advisory service)" if unaudited else "")
    )


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        output = Path(scratch) / "audit.json"
        # A fixed argv (this interpreter, pip-audit's module, literal options) and no shell.
        run = subprocess.run(  # nosec B603
            [
                sys.executable,
                "-m",
                "pip_audit",
                "--skip-editable",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(output),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        report = json.loads(output.read_text()) if output.is_file() else None
    code, message = verdict(run.returncode, report, run.stderr)
    print(message, file=sys.stderr if code else sys.stdout)
    return code


if __name__ == "__main__":
    sys.exit(main())
