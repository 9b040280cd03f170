"""Scenario 6: security from outside.

Raw HTTP with a wrong Host, a wrong Origin, no bearer token and a wrong one, each next to
the same request done right (so a refusal is the check's doing, not a broken request);
then raw API paths that try to leave the API, through proxmox_api_call: all refused, and
fakepve's request log shows that none of them arrived.
"""

import json
import urllib.parse

import aiohttp

import common
from sessions import open_session, text_of

INITIALIZE = json.dumps({'jsonrpc': '2.0', 'id': 1, 'method': 'initialize', 'params': {
    'protocolVersion': '2025-03-26', 'capabilities': {}, 'clientInfo': {'name': 'e2e-security', 'version': '1'}}})

# Paths that try to reach something other than the cluster's API.
ESCAPES = [
    '/nodes/../access/users',
    '../../etc/passwd',
    '/nodes/pve1/qemu/100/../../../../access/users',
    '//evil.example/api2/json/version',
    '//127.0.0.9/version',
    '/nodes/pve1%2F..%2F..%2Faccess%2Fusers',
    '/nodes/pve1%2fqemu',
    '/nodes%5Cpve1%5Cqemu',
    '/nodes\\pve1\\qemu',
    'https://evil.example/api2/json/version',
    'http://127.0.0.9:8006/api2/json/version',
    '/version?user=root@pam',
    '/version#fragment',
    '/nodes/pve1/storage/local/content/local:iso/../../../etc/shadow',
    '/nodes/pve1/storage/local/content/local:iso%2F..%2F..%2Fetc%2Fshadow',
    '/nodes/%2e%2e/access',
    '/nodes/pve1/qemu/100/config\r\nHost: evil',
    '/api2/json/../../etc/passwd',
]


async def raw(base, method, path, headers=None, body=None):
    """The status of one HTTP request (the body of an event stream is not read)."""
    h = {'Accept': 'application/json, text/event-stream', 'Content-Type': 'application/json'}
    h.update(headers or {})
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
        async with http.request(method, base + path, headers=h, data=body) as resp:
            return resp.status


async def transport_checks(report):
    open_base, secure = common.SERVER, common.SECURE_SERVER
    port = urllib.parse.urlparse(open_base).port
    token = common.auth_token()
    for path, method, body in (('/mcp', 'POST', INITIALIZE), ('/sse', 'GET', None)):
        what = '{0} {1}'.format(method, path)
        ok = await raw(open_base, method, path, body=body)
        report.check('{0} with the right Host: 200 (control)'.format(what), ok == 200, ok)
        st = await raw(open_base, method, path, {'Host': 'evil.example:{0}'.format(port)}, body)
        report.check('{0} with Host evil.example: refused'.format(what), st in (400, 403, 421), st)
        st = await raw(open_base, method, path, {'Host': 'attacker.test'}, body)
        report.check('{0} with Host attacker.test (no port): refused'.format(what), st in (400, 403, 421), st)
        st = await raw(open_base, method, path, {'Origin': 'http://127.0.0.1:{0}'.format(port)}, body)
        report.check('{0} with its own Origin: 200 (control)'.format(what), st == 200, st)
        st = await raw(open_base, method, path, {'Origin': 'https://evil.example'}, body)
        report.check('{0} with Origin https://evil.example: 403'.format(what), st == 403, st)
        st = await raw(open_base, method, path, {'Origin': 'http://localhost.evil.example:{0}'.format(port)}, body)
        report.check('{0} with a look-alike Origin: 403'.format(what), st == 403, st)

        st = await raw(secure, method, path, {'Authorization': 'Bearer ' + token}, body)
        report.check('{0} with the bearer token: 200 (control)'.format(what), st == 200, st)
        st = await raw(secure, method, path, None, body)
        report.check('{0} without a bearer token: 401'.format(what), st == 401, st)
        st = await raw(secure, method, path, {'Authorization': 'Bearer ' + token[:-1] + ('0' if token[-1] != '0' else '1')}, body)
        report.check('{0} with a wrong bearer token: 401'.format(what), st == 401, st)
        st = await raw(secure, method, path, {'Authorization': 'Basic ' + token}, body)
        report.check('{0} with the token as Basic auth: 401'.format(what), st == 401, st)
    st = await raw(secure, 'POST', '/messages?sessionId=00000000-0000-0000-0000-000000000000', None, INITIALIZE)
    report.check('POST /messages without a bearer token: 401', st == 401, st)


async def escape_checks(report):
    before = {c: len(await common.request_log(c)) for c in ('alpha', 'beta')}
    async with open_session('http') as s:
        for path in ESCAPES:
            for cluster in ('alpha', 'beta'):
                r = await s.call_tool('proxmox_api_call', {'cluster': cluster, 'method': 'GET', 'path': path})
                report.check('path {0!r} on {1}: refused'.format(path, cluster),
                             r.is_error and 'not sent' in text_of(r), text_of(r))
        # A control: a legitimate call does reach the cluster (so the log is being read).
        r = await s.call_tool('proxmox_api_call', {'cluster': 'alpha', 'method': 'GET', 'path': '/version'})
        report.check('control: GET /version reaches alpha', not r.is_error, text_of(r))
    after = {c: await common.request_log(c) for c in ('alpha', 'beta')}
    new_alpha = after['alpha'][before['alpha']:]
    new_beta = after['beta'][before['beta']:]
    report.check('none of the escapes reached alpha (only the control call)',
                 [x['path'] for x in new_alpha] == ['/api2/json/version'], [x['path'] for x in new_alpha])
    report.check('none of the escapes reached beta', not new_beta, [x['path'] for x in new_beta])
    suspicious = [x for c in ('alpha', 'beta') for x in after[c]
                  if any(m in x['path'] for m in ('..', 'evil', 'etc/passwd', 'shadow', '\\'))]
    report.check("no path in either fake's whole request log leaves the API", not suspicious, suspicious)


async def run(report):
    await transport_checks(report)
    await escape_checks(report)
    report.check('server healthy afterwards', await common.healthz() == 200)


if __name__ == '__main__':
    common.main(run, 'security', 120)
