"""Starts the fake Proxmox VE clusters for the end-to-end run and keeps them up until SIGTERM.

    python launcher.py RUN_DIR

Two fakepve instances in this one process, each on its own loopback address:
- alpha on 127.0.0.2: certificate signed by a private CA (the server verifies it with
  `ca_file`), reached with an API token created here;
- beta on 127.0.0.3: a self-signed certificate the server pins by `fingerprint`, reached
  with a password (tickets).

It writes RUN_DIR/clusters.json (the server's configuration, 0600: it holds the token
secret and the password) and RUN_DIR/state.json (addresses, guests, the control socket),
then serves a small JSON control API on the Unix socket RUN_DIR/control.sock, through which
the scenarios inject faults and read each fake's request log (see control.py).
"""

import asyncio
import inspect
import json
import os
import secrets
import signal
import sys

from aiohttp import web
from fakepve import FakePve

import certs

# The fakes stop by themselves after this long, should e2e/run be killed before it can stop them.
MAX_LIFETIME_S = 3600
# Real seconds per PVE second: a 40 s guest start takes 2 s; a 10 s lock wait 0.5 s.
TIME_SCALE = 0.05
HOSTS = {'alpha': '127.0.0.2', 'beta': '127.0.0.3'}
TOKEN_USER = 'mcp@pve'
TOKEN_NAME = 'e2e'

# vmid -> (name, node, status, attributes). 100-102: one guest for each MCP transport to start.
GUESTS = {
    'alpha': [
        (100, 'sse-guest', 'pve1', 'stopped', {'start_secs': 30}),
        (101, 'http-guest', 'pve1', 'stopped', {'start_secs': 30}),
        (102, 'stdio-guest', 'pve1', 'stopped', {'start_secs': 30}),
        (110, 'slow-guest', 'pve1', 'stopped', {'start_secs': 200}),
        (111, 'broken-guest', 'pve1', 'stopped', {'start_error': "unable to find configuration file for VM 111 disk 'scsi0'"}),
        (112, 'locked-guest', 'pve1', 'stopped', {}),
        (120, 'far-guest', 'pve2', 'running', {}),
    ],
    'beta': [
        (300, 'beta-guest', 'pve1', 'stopped', {}),
        (301, 'beta-running', 'pve1', 'running', {}),
    ],
}
NODES = {'alpha': ['pve1', 'pve2'], 'beta': ['pve1']}

# The methods of FakePve the control API may call, with their keyword arguments.
CONTROL_OPS = {
    'fail', 'slow_network', 'flaky_network', 'lose_quorum', 'regain_quorum', 'set_node_offline',
    'hold_config_lock', 'release_config_lock', 'revoke_tickets',
}
GUEST_ATTRS = {'start_secs', 'start_error', 'shutdown_secs', 'stop_secs', 'status', 'qmpstatus'}


def build(name):
    pve = FakePve(user='root@pam', password=secrets.token_urlsafe(18), host=HOSTS[name], port=0)
    pve.time_scale = TIME_SCALE
    pve.cluster_name = name
    for node in NODES[name]:
        pve.add_node(node)
    for vmid, guest, node, status, attrs in GUESTS[name]:
        vm = pve.add_vm(vmid, guest, node=node, status=status,
                        config={'memory': 2048, 'cores': 2, 'scsi0': 'local-lvm:vm-{0}-disk-0,size=8G'.format(vmid),
                                'net0': 'virtio=BC:24:11:00:00:{0:02X},bridge=vmbr0'.format(vmid % 256)})
        for key, value in attrs.items():
            setattr(vm, key, value)
    return pve


def write_private(path, data):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as out:
        json.dump(data, out, indent=2)


class Control:
    """The JSON control API on a Unix socket: POST /op, GET /requests, POST /reset."""

    def __init__(self, fakes):
        self.fakes = fakes

    def _fake(self, body):
        name = body.get('cluster')
        if name not in self.fakes:
            raise web.HTTPBadRequest(text='unknown cluster {0!r}'.format(name))
        return self.fakes[name]

    async def op(self, request):
        body = await request.json()
        pve = self._fake(body)
        op, kwargs = body.get('op'), body.get('args') or {}
        if op == 'set_guest':
            vm = pve.vm(int(kwargs.pop('vmid')))
            for key, value in kwargs.items():
                if key not in GUEST_ATTRS:
                    raise web.HTTPBadRequest(text='guest attribute {0!r} is not settable'.format(key))
                setattr(vm, key, value)
            return web.json_response({'ok': True})
        if op == 'expire_tickets':
            for session in pve.tickets.values():
                session['expires'] = 0
            return web.json_response({'ok': True})
        if op == 'guest':
            vm = pve.vm(int(kwargs['vmid']))
            return web.json_response({'status': vm.status, 'lock_holder': vm.lock_holder is not None})
        if op not in CONTROL_OPS:
            raise web.HTTPBadRequest(text='unknown op {0!r}'.format(op))
        result = getattr(pve, op)(**kwargs)
        if inspect.isawaitable(result):
            result = await result
        return web.json_response({'ok': True, 'result': result if isinstance(result, (str, int, type(None))) else None})

    async def requests(self, request):
        pve = self._fake({'cluster': request.query.get('cluster')})
        log = [{'method': m, 'path': p, 'body': b.decode('utf-8', 'replace')} for m, p, b in pve.requests]
        return web.json_response({'requests': log})

    async def reset(self, request):
        """Undo every injected fault on one cluster."""
        pve = self._fake(await request.json())
        pve.failures.clear()
        pve.flaky_network(0.0, 0.0)
        pve.slow_network(0.0)
        pve.network['node_latency'].clear()
        pve.regain_quorum()
        for node in list(pve.nodes):
            pve.set_node_offline(node, False)
        return web.json_response({'ok': True})


async def main(run_dir):
    os.makedirs(run_dir, exist_ok=True)
    tls_dir = os.path.join(run_dir, 'tls')
    os.makedirs(tls_dir, exist_ok=True)
    ca_file, alpha_cert, alpha_key = certs.make_ca_and_leaf(tls_dir, HOSTS['alpha'])
    beta_cert, beta_key, beta_fingerprint = certs.make_self_signed(tls_dir, HOSTS['beta'], 'pve-beta')

    fakes = {name: build(name) for name in HOSTS}
    token_secret = secrets.token_hex(16)
    fakes['alpha'].apitokens['{0}!{1}'.format(TOKEN_USER, TOKEN_NAME)] = token_secret
    beta_password = secrets.token_urlsafe(18)
    fakes['beta'].users['mcp@pve'] = beta_password

    await fakes['alpha'].start(alpha_cert, alpha_key)
    await fakes['beta'].start(beta_cert, beta_key)

    alpha_url = 'https://{0}:{1}'.format(HOSTS['alpha'], fakes['alpha'].port)
    beta_url = 'https://{0}:{1}'.format(HOSTS['beta'], fakes['beta'].port)
    write_private(os.path.join(run_dir, 'clusters.json'), {
        'default': 'alpha',
        'clusters': {
            'alpha': {'url': alpha_url, 'user': TOKEN_USER, 'token_id': TOKEN_NAME, 'token_secret': token_secret,
                      'ca_file': ca_file, 'timeout_s': 6},
            'beta': {'url': beta_url, 'user': 'mcp@pve', 'password': beta_password,
                     'fingerprint': beta_fingerprint, 'timeout_s': 6},
            'beta-ro': {'url': beta_url, 'user': 'mcp@pve', 'password': beta_password,
                        'fingerprint': beta_fingerprint, 'read_only': True},
        },
    })

    control_path = os.path.join(run_dir, 'control.sock')
    if os.path.exists(control_path):
        os.unlink(control_path)
    control = Control(fakes)
    app = web.Application()
    app.router.add_post('/op', control.op)
    app.router.add_get('/requests', control.requests)
    app.router.add_post('/reset', control.reset)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.UnixSite(runner, control_path).start()
    os.chmod(control_path, 0o600)

    state = {
        'pid': os.getpid(),
        'control': control_path,
        'ca_file': ca_file,
        'clusters': {
            'alpha': {'url': alpha_url, 'host': HOSTS['alpha'], 'port': fakes['alpha'].port, 'auth': 'token',
                      'tls': 'ca_file', 'nodes': NODES['alpha'], 'guests': [g[0] for g in GUESTS['alpha']]},
            'beta': {'url': beta_url, 'host': HOSTS['beta'], 'port': fakes['beta'].port, 'auth': 'password',
                     'tls': 'fingerprint', 'nodes': NODES['beta'], 'guests': [g[0] for g in GUESTS['beta']]},
        },
    }
    tmp = os.path.join(run_dir, 'state.json.tmp')
    with open(tmp, 'w') as out:
        json.dump(state, out, indent=2)
    os.replace(tmp, os.path.join(run_dir, 'state.json'))
    print('launcher: alpha at {0}, beta at {1}'.format(alpha_url, beta_url), flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await asyncio.wait_for(stop.wait(), MAX_LIFETIME_S)
    except asyncio.TimeoutError:
        print('launcher: {0} s passed without a stop signal; stopping'.format(MAX_LIFETIME_S), flush=True)
    # Requests held by an injected hang may still be sleeping: give the fakes 3 s, then go.
    try:
        await asyncio.wait_for(asyncio.gather(runner.cleanup(), *(pve.stop() for pve in fakes.values())), 3)
    except asyncio.TimeoutError:
        print('launcher: requests still open after 3 s; stopping anyway', flush=True)
    print('launcher: stopped', flush=True)


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: launcher.py RUN_DIR')
    asyncio.run(main(sys.argv[1]))
