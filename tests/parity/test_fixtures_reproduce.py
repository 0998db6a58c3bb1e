"""The committed parity fixtures are exactly what the PyTorch reference writes
today: regenerates them into a temporary folder and compares every file byte
for byte, so the reference and the fixtures cannot drift apart.

    /usr/bin/python3 tests/parity/test_fixtures_reproduce.py
"""

import filecmp
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
COMMITTED = os.path.join(HERE, "..", "data", "parity")


def main():
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([sys.executable, os.path.join(HERE, "make-fixtures.py"), "--out", out],
                       check=True, stdout=subprocess.DEVNULL)
        fixtures = sorted(os.listdir(COMMITTED))
        assert fixtures == sorted(os.listdir(out)), f"fixture folders differ: {fixtures} vs {sorted(os.listdir(out))}"
        compared = 0
        for name in fixtures:
            files = sorted(os.listdir(os.path.join(COMMITTED, name)))
            _, mismatch, errors = filecmp.cmpfiles(os.path.join(COMMITTED, name), os.path.join(out, name), files,
                                                   shallow=False)
            assert not mismatch and not errors, f"{name}: {mismatch + errors} differ from a fresh run of the reference"
            compared += len(files)
        print(f"{compared} fixture files in {len(fixtures)} folders reproduce byte for byte")
        print(f"{len(fixtures)} passed, 0 failed")


if __name__ == "__main__":
    main()
