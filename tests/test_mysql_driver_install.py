"""The Makefile's MySQL driver step, run for real on a machine that cannot build mysqlclient.

pkg-config is pointed at an empty folder, so mysqlclient's build cannot find the
client library, exactly as on a machine without libmariadb-dev.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def test_a_failed_mysqlclient_build_prints_one_paragraph_and_falls_back(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    bin_dir = venv / "bin"
    # The base requirements are not what this test is about: mark them installed.
    (bin_dir / ".installed").touch()
    log = tmp_path / "driver-build.log"
    empty = tmp_path / "no-pkgconfig"
    empty.mkdir()
    environment = {
        **os.environ,
        "PKG_CONFIG_LIBDIR": str(empty),
        "PKG_CONFIG_PATH": str(empty),
        # A wheel built on an earlier run would be taken from pip's cache instead of building.
        "PIP_NO_CACHE_DIR": "1",
    }
    result = subprocess.run(
        [
            shutil.which("make") or "make",
            "--no-print-directory",
            f"BIN={bin_dir}",
            f"DRIVER_LOG={log}",
            f"{bin_dir}/.mysql-driver",
        ],
        cwd=PROJECT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    output = (result.stdout + result.stderr).strip().splitlines()
    assert "mysqlclient could not be built" in output[0]
    assert any("sudo apt-get install libmariadb-dev" in line for line in output)
    assert output[-1] == f"pip's output is in {log}."
    assert len(output) <= 8, "pip's traceback leaked onto the terminal"
    assert "Traceback" not in result.stdout + result.stderr
    # pip's own words stayed in the log the message names.
    assert "mysqlclient" in log.read_text()
    # And the fallback is there to use.
    subprocess.run([str(bin_dir / "python"), "-c", "import pymysql"], check=True, timeout=60)
