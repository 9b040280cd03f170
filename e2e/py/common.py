"""What every scenario shares: the run's settings, a check report, the fakes' control API,
and a guard that no secret appears in anything the server says.

A scenario is a module with `async def run(report)`; `main(run)` runs it with a time
limit and exits 0 only when every check passed.
"""

import asyncio
import json
import os
import sys
import time
import traceback

import aiohttp

RUN_DIR = os.environ.get('E2E_RUN', '')
SERVER = os.environ.get('E2E_SERVER', '')  # http://127.0.0.1:PORT (no bearer token)
SECURE_SERVER = os.environ.get('E2E_SECURE_SERVER', '')  # the same, started with MCP_AUTH_TOKEN
BINARY = os.environ.get('E2E_BIN', '')
E2E_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def state():
    with open(os.path.join(RUN_DIR, 'state.json')) as fh:
        return json.load(fh)


def config_path():
    return os.path.join(RUN_DIR, 'clusters.json')


def auth_token():
    """The bearer token of the secured server (written by e2e/run, 0600)."""
    with open(os.path.join(RUN_DIR, 'auth-token')) as fh:
        return fh.read().strip()


def secrets():
    """Every secret the server holds: the token secret, the password, the bearer token."""
    with open(config_path()) as fh:
        clusters = json.load(fh)['clusters']
    found = set()
    for c in clusters.values():
        for key in ('token_secret', 'password'):
            if c.get(key):
                found.add(c[key])
    found.add(auth_token())
    return found


class Report:
    """Checks of one scenario, printed as they happen."""

    def __init__(self, name):
        self.name = name
        self.passed = 0
        self.failed = []
        self._secrets = secrets() if RUN_DIR else set()

    def check(self, what, condition, detail=''):
        if condition:
            self.passed += 1
            print('    ok    {0}'.format(what), flush=True)
        else:
            self.failed.append(what)
            print('    FAIL  {0}{1}'.format(what, ': ' + shorten(detail) if detail else ''), flush=True)
        return bool(condition)

    def no_secret(self, what, text):
        """Checks that `text` holds none of the run's secrets (without printing them)."""
        leaked = [s for s in self._secrets if s and s in text]
        return self.check('no secret in ' + what, not leaked, '{0} secret(s) found'.format(len(leaked)))

    def note(self, text):
        print('    ..    {0}'.format(text), flush=True)


async def command(*args, cwd=None, env=None, time_limit=120, merge=False):
    """Runs a command to its end (killed after `time_limit` s); returns (exit code, stdout,
    stderr) as text, with stderr in stdout when `merge`, and exit code -1 on the time limit."""
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT if merge else asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), time_limit)
    except asyncio.TimeoutError:
        proc.kill()
        await proc.wait()
        return -1, '', 'timed out after {0} s'.format(time_limit)
    return proc.returncode, out.decode(errors='replace'), (err or b'').decode(errors='replace')


def shorten(text, limit=400):
    text = str(text).replace('\n', ' | ')
    return text if len(text) <= limit else text[:limit] + '...'


def main(run, name, time_limit):
    """Runs `run(report)` within `time_limit` seconds; prints the tally; exits 0 when all passed."""
    report = Report(name)
    started = time.monotonic()

    async def guarded():
        try:
            await asyncio.wait_for(run(report), time_limit)
        except asyncio.TimeoutError:
            report.check('scenario finished within {0} s'.format(time_limit), False)
        except Exception as e:  # noqa: BLE001 - an unexpected error is a failed check, with its trace
            traceback.print_exc()
            report.check('scenario ran without an unexpected error', False, repr(e))
    asyncio.run(guarded())
    print('  {0}: {1} checks passed, {2} failed ({3:.1f} s)'.format(
        name, report.passed, len(report.failed), time.monotonic() - started), flush=True)
    sys.exit(0 if not report.failed and report.passed else 1)


# ----------------------------------------------------------------- fakes' control API

async def _control(method, path, payload=None, params=None):
    connector = aiohttp.UnixConnector(path=state()['control'])
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=30)) as http:
        async with http.request(method, 'http://control' + path, json=payload, params=params) as resp:
            text = await resp.text()
            if resp.status != 200:
                raise RuntimeError('control {0} {1}: {2} {3}'.format(method, path, resp.status, text))
            return json.loads(text)


async def fault(cluster, op, **args):
    """Calls a FakePve method on one fake (see launcher.CONTROL_OPS)."""
    return await _control('POST', '/op', {'cluster': cluster, 'op': op, 'args': args})


async def reset(cluster):
    """Undoes every fault on one fake."""
    return await _control('POST', '/reset', {'cluster': cluster})


async def request_log(cluster):
    """The fake's request log: [{'method', 'path', 'body'}], oldest first."""
    return (await _control('GET', '/requests', params={'cluster': cluster}))['requests']


async def healthz(base=None):
    """The status of the server's /healthz."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.get((base or SERVER) + '/healthz') as resp:
            return resp.status
