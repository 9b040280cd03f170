"""Scenario 5: faults injected with fakepve, through one Streamable HTTP session.

Each fault ends in a clear tool error (isError, naming what happened) or a successful
retry; after each one the server's /healthz answers 200 and the other cluster still works.
"""

import time

import common
from sessions import json_of, open_session, text_of

# fakepve runs at 0.05 real seconds per PVE second (launcher.TIME_SCALE).
SCALE = 0.05


async def api(s, cluster, method, path, data=None):
    args = {'cluster': cluster, 'method': method, 'path': path}
    if data is not None:
        args['data'] = data
    started = time.monotonic()
    result = await s.call_tool('proxmox_api_call', args)
    return result, time.monotonic() - started


async def healthy(report, s, label, other):
    """After a fault: /healthz is 200 and `other` answers."""
    report.check('{0}: /healthz 200 afterwards'.format(label), await common.healthz() == 200)
    r, _ = await api(s, other, 'GET', '/cluster/status')
    report.check('{0}: {1} unaffected'.format(label, other), not r.is_error, text_of(r))


async def start_and_wait(s, vmid, timeout_s):
    r, _ = await api(s, 'alpha', 'POST', '/nodes/pve1/qemu/{0}/status/start'.format(vmid))
    if r.is_error:
        return r, None
    upid = json_of(r)
    return await s.call_tool('wait_for_task', {'cluster': 'alpha', 'upid': upid, 'timeout_s': timeout_s}), upid


async def tasks(report, s):
    r, upid = await start_and_wait(s, 110, 1)
    report.check('slow task: wait_for_task returns before the task ends, saying it goes on',
                 not r.is_error and 'running' in text_of(r).lower(), text_of(r))
    await healthy(report, s, 'slow task', 'beta')
    if upid:
        r = await s.call_tool('wait_for_task', {'cluster': 'alpha', 'upid': upid, 'timeout_s': 60})
        report.check('slow task: waiting again sees it end OK', not r.is_error and 'OK' in text_of(r), text_of(r))

    r, _ = await start_and_wait(s, 111, 30)
    report.check('failing task: wait_for_task is isError with the task error',
                 r.is_error and 'unable to find configuration file' in text_of(r), text_of(r))
    await healthy(report, s, 'failing task', 'beta')


async def locks_and_quorum(report, s):
    await common.fault('alpha', 'hold_config_lock', vmid=112, secs=None)
    r, _ = await api(s, 'alpha', 'PUT', '/nodes/pve1/qemu/112/config', {'memory': 4096})
    report.check('guest lock: the config write fails with the lock timeout',
                 r.is_error and "can't lock file" in text_of(r) and 'timeout' in text_of(r), text_of(r))
    await common.fault('alpha', 'release_config_lock', vmid=112)
    r, _ = await api(s, 'alpha', 'PUT', '/nodes/pve1/qemu/112/config', {'memory': 4096})
    report.check('guest lock: the same write succeeds once the lock is released', not r.is_error, text_of(r))
    await healthy(report, s, 'guest lock', 'beta')

    await common.fault('alpha', 'lose_quorum')
    r, _ = await api(s, 'alpha', 'PUT', '/nodes/pve1/qemu/112/config', {'cores': 4})
    report.check('lost quorum: the write fails naming quorum', r.is_error and 'quorum' in text_of(r), text_of(r))
    r, _ = await api(s, 'alpha', 'GET', '/nodes/pve1/qemu/112/config')
    report.check('lost quorum: reads still work', not r.is_error, text_of(r))
    await common.reset('alpha')
    await healthy(report, s, 'lost quorum', 'beta')

    await common.fault('alpha', 'set_node_offline', node='pve2')
    r, _ = await api(s, 'alpha', 'GET', '/nodes/pve2/qemu/120/status/current')
    report.check('node offline: 595 reported as the node unreachable',
                 r.is_error and '595' in text_of(r) and 'pve2' in text_of(r), text_of(r))
    r, _ = await api(s, 'alpha', 'GET', '/nodes/pve1/qemu/112/status/current')
    report.check('node offline: the other node of the cluster still answers', not r.is_error, text_of(r))
    await common.reset('alpha')
    await healthy(report, s, 'node offline', 'beta')


async def network(report, s):
    await common.fault('alpha', 'flaky_network', drop_rate=1.0, seed=7)
    r, _ = await api(s, 'alpha', 'GET', '/version')
    report.check('dropped connections: a clear transport error', r.is_error and (
        'connection' in text_of(r).lower() or 'closed' in text_of(r).lower()), text_of(r))
    r, _ = await api(s, 'alpha', 'POST', '/nodes/pve1/qemu/112/status/start')
    report.check('dropped connections: a write says it was not repeated',
                 r.is_error and 'not repeated' in text_of(r), text_of(r))
    await common.reset('alpha')
    r, _ = await api(s, 'alpha', 'GET', '/version')
    report.check('dropped connections: the next call after recovery succeeds', not r.is_error, text_of(r))
    await healthy(report, s, 'dropped connections', 'beta')

    # A hang of 400 PVE seconds (20 s) against the cluster's timeout_s of 6. The cluster has
    # one node, and a timed-out read is not repeated on the same node, so the tool answers
    # after one timeout.
    await common.fault('alpha', 'flaky_network', hang_rate=1.0, hang_secs=400, seed=7)
    r, elapsed = await api(s, 'alpha', 'GET', '/version')
    report.check('hanging connection: a timeout error naming the timeout, within one timeout',
                 r.is_error and 'no complete answer within 6.0 s' in text_of(r) and elapsed < 6 + 3,
                 '{0:.1f} s: {1}'.format(elapsed, text_of(r)))
    await common.reset('alpha')
    await healthy(report, s, 'hanging connection', 'beta')

    await common.fault('alpha', 'slow_network', latency=1.0 / SCALE)
    r, elapsed = await api(s, 'alpha', 'GET', '/nodes/pve1/qemu/112/status/current')
    report.check('added latency (1 s): the call succeeds, slower', not r.is_error and elapsed >= 0.9,
                 '{0:.2f} s: {1}'.format(elapsed, text_of(r)))
    await common.reset('alpha')
    await healthy(report, s, 'added latency', 'beta')


async def tickets(report, s):
    r, _ = await api(s, 'beta', 'GET', '/nodes')
    report.check('beta answers before the ticket is revoked', not r.is_error, text_of(r))
    for fault in ('revoke_tickets', 'expire_tickets'):
        logins_before = sum(1 for x in await common.request_log('beta') if x['path'].endswith('/access/ticket'))
        await common.fault('beta', fault)
        r, _ = await api(s, 'beta', 'GET', '/nodes')
        logins_after = sum(1 for x in await common.request_log('beta') if x['path'].endswith('/access/ticket'))
        report.check('{0}: the call succeeds after one new login'.format(fault),
                     not r.is_error and logins_after == logins_before + 1, (logins_before, logins_after, text_of(r)))
        r, _ = await api(s, 'beta', 'POST', '/nodes/pve1/qemu/300/status/start')
        report.check('{0}: a write with the new ticket and CSRF token works'.format(fault), not r.is_error, text_of(r))
        await healthy(report, s, fault, 'alpha')
    log = await common.request_log('beta')
    report.no_secret("beta's request log (logins are recorded redacted)", str(log))


async def run(report):
    async with open_session('http') as s:
        try:
            await tasks(report, s)
            await locks_and_quorum(report, s)
            await network(report, s)
            await tickets(report, s)
        finally:
            await common.reset('alpha')
            await common.reset('beta')


if __name__ == '__main__':
    common.main(run, 'faults', 240)
