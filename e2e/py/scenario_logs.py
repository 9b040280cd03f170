"""Last step: what the servers logged during the run.

No secret (the token secret, the password, the bearer token) in any server or fake log,
no panic, and both HTTP servers still answer /healthz.
"""

import glob
import os

import common


async def run(report):
    logs = sorted(glob.glob(os.path.join(common.RUN_DIR, '*.log')))
    report.check('server logs exist ({0} files)'.format(len(logs)), len(logs) >= 3)
    for path in logs:
        with open(path, errors='replace') as fh:
            text = fh.read()
        name = os.path.basename(path)
        report.no_secret(name, text)
        if 'server' in name:
            report.check('no panic in ' + name, 'panicked' not in text)
    report.check('the open server is healthy at the end', await common.healthz(common.SERVER) == 200)
    report.check('the secured server is healthy at the end', await common.healthz(common.SECURE_SERVER) == 200)


if __name__ == '__main__':
    common.main(run, 'logs', 60)
