"""Scenario 4: the differential validation corpus.

Every call of the seeded corpus (corpus.py) is judged twice:
- ours: `proxmox-mcp api validate --jsonl`, {"ok": true} or {"ok": false, "errors": ...};
- fakepve's: the same wire request (query for GET/DELETE, form body for POST/PUT, each
  path segment percent-encoded) sent to a fakepve of its own in this process; an HTTP 400
  with per-parameter `errors` is a rejection for parameters, anything else is not.

Requirements: no unexplained disagreement in either direction (the explained ones are in
e2e/differential-known.json, each with its reason), and we catch at least 95% of the calls
fakepve rejects for parameters.
"""

import asyncio
import collections
import json
import logging
import os
import secrets
import ssl
import subprocess
import urllib.parse

import aiohttp
import yarl
from fakepve import FakePve

import certs
import common
import corpus

KNOWN = os.path.join(common.E2E_DIR, 'differential-known.json')
MIN_CATCH_RATE = 0.95
HOST = '127.0.0.4'


def ours(calls):
    """Our validator's verdicts, one per call."""
    lines = ''.join(json.dumps({'method': c['method'], 'path': c['path'], 'params': c['params']}) + '\n' for c in calls)
    out = subprocess.run([common.BINARY, 'api', 'validate', '--jsonl'], input=lines, capture_output=True, text=True,
                         timeout=120, check=True).stdout.splitlines()
    if len(out) != len(calls):
        raise RuntimeError('api validate --jsonl gave {0} verdicts for {1} calls'.format(len(out), len(calls)))
    return [json.loads(line) for line in out]


def fresh_fake():
    pve = FakePve(user='root@pam', password=secrets.token_urlsafe(18), host=HOST, port=0)
    pve.time_scale = 0
    restore(pve)
    return pve


def restore(pve):
    """Puts back what a call may have changed: the guests the corpus names exist, stopped, unlocked."""
    pve.failures.clear()
    for vmid in (100,):
        vm = pve.vm(vmid)
        if vm is None:
            vm = pve.add_vm(vmid, 'diff-guest', node='pve1', config={'memory': 2048, 'scsi0': 'local-lvm:vm-100-disk-0'})
        vm.lock = None
        vm.config.pop('lock', None)
        vm.lock_holder = None
        vm.pending = {}
        vm.status = vm.qmpstatus = 'stopped'


# Placeholders that take the rest of the path (PVE-SEMANTICS.md): their '/' goes out as %2F.
REST_OF_PATH = ('{volume}', '{cidr}')


def wire_url(base, call):
    """The request URL as our server builds it: each placeholder value percent-encoded as one
    segment (everything but unreserved characters, ':' and '@'), the query form-encoded."""
    template = call['template'].split('/')
    given = call['path'].split('/')
    segments = []
    for i, part in enumerate(template):
        if part in REST_OF_PATH and i == len(template) - 1:
            value = '/'.join(given[i:])
        else:
            value = given[i]
        segments.append(urllib.parse.quote(value, safe=':@') if part.startswith('{') else part)
    url = base + '/api2/json' + '/'.join(segments)
    if call['method'] in ('GET', 'DELETE') and call['wire']:
        url += '?' + urllib.parse.urlencode([tuple(p) for p in call['wire']])
    return yarl.URL(url, encoded=True)


async def theirs(calls, run_dir):
    """fakepve's verdicts: (rejected for parameters, status, errors) per call."""
    tls = os.path.join(run_dir, 'differential-tls')
    os.makedirs(tls, exist_ok=True)
    ca_file, cert_file, key_file = certs.make_ca_and_leaf(tls, HOST)
    pve = fresh_fake()
    # fakepve logs a traceback for the one schema entry it cannot check (triaged as
    # fakepve-crash-on-null-enum); the verdicts carry everything the scenario needs.
    logging.getLogger('fakepve').disabled = True
    await pve.start(cert_file, key_file)
    verdicts = []
    try:
        ctx = ssl.create_default_context(cafile=ca_file)
        timeout = aiohttp.ClientTimeout(total=30)
        # root@pam with a ticket, as PVE's own root login: fakepve then checks no ACL path
        # before the parameters (it refuses odd paths to tokens and other users first).
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(ssl=ctx)) as http:
            async with http.post(pve.url + '/api2/json/access/ticket',
                                 data={'username': 'root@pam', 'password': pve.password}) as resp:
                login = (await resp.json())['data']
        headers = {'Cookie': 'PVEAuthCookie=' + login['ticket'], 'CSRFPreventionToken': login['CSRFPreventionToken']}
        async with aiohttp.ClientSession(headers=headers, timeout=timeout,
                                         connector=aiohttp.TCPConnector(ssl=ctx, limit=1)) as http:
            for call in calls:
                data = None
                if call['method'] in ('POST', 'PUT'):
                    data = urllib.parse.urlencode([tuple(p) for p in call['wire']])
                async with http.request(call['method'], wire_url(pve.url, call), data=data, headers={
                        'Content-Type': 'application/x-www-form-urlencoded'} if data is not None else None) as resp:
                    text = await resp.text()
                try:
                    body = json.loads(text)
                except ValueError:
                    body = {}
                errors = body.get('errors') if isinstance(body, dict) else None
                verdicts.append({'rejected': resp.status == 400 and bool(errors), 'status': resp.status,
                                 'errors': errors or {}, 'message': (body.get('message') or '').strip()})
                if call['method'] != 'GET':
                    restore(pve)
    finally:
        await pve.stop()
    return verdicts


def matches(entry, d):
    """Whether an allowlist entry explains a disagreement. Every key the entry gives must hold;
    an entry covers calls the generator meant to be valid only when it says valid_too."""
    if d['kind'].startswith('valid') and not entry.get('valid_too'):
        return False
    if entry['direction'] != d['direction']:
        return False
    for key, field in (('kinds', 'kind'), ('methods', 'method'), ('templates', 'template'),
                       ('their_status', 'their_status')):
        if key in entry and d[field] not in entry[key]:
            return False
    if 'template_prefix' in entry and not d['template'].startswith(entry['template_prefix']):
        return False
    if 'our_error_contains' in entry and entry['our_error_contains'] not in json.dumps(d['our_errors']):
        return False
    if 'their_error_contains' in entry and entry['their_error_contains'] not in json.dumps(d['their_errors']):
        return False
    return True


async def run(report):
    calls = list(corpus.generate())
    with open(os.path.join(common.RUN_DIR, 'corpus.jsonl'), 'w') as fh:
        for c in calls:
            fh.write(json.dumps(c) + '\n')
    endpoints = {(c['method'], c['template']) for c in calls}
    report.check('corpus: >= 2000 calls over all 675 endpoints ({0} calls, {1} endpoints)'.format(
        len(calls), len(endpoints)), len(calls) >= 2000 and len(endpoints) == 675)

    our = await asyncio.to_thread(ours, calls)
    their = await theirs(calls, common.RUN_DIR)
    with open(KNOWN) as fh:
        known = json.load(fh)['entries']
    hits = collections.Counter()
    counts = collections.Counter()
    unexplained = []
    triaged = collections.Counter()
    for c, o, t in zip(calls, our, their):
        o_rej, t_rej = not o['ok'], t['rejected']
        if o_rej == t_rej:
            counts['reject/reject' if o_rej else 'accept/accept'] += 1
            continue
        direction = 'ours-only' if o_rej else 'theirs-only'
        counts[direction] += 1
        d = {'direction': direction, 'kind': c['kind'], 'method': c['method'], 'template': c['template'],
             'param': c['param'], 'path': c['path'], 'params': c['params'], 'our_errors': o.get('errors', {}),
             'their_status': t['status'], 'their_errors': t['errors'], 'their_message': t['message']}
        entry = next((e for e in known if matches(e, d)), None)
        if entry is None:
            unexplained.append(d)
        else:
            hits[entry['id']] += 1
            triaged[(direction, entry['id'])] += 1

    with open(os.path.join(common.RUN_DIR, 'differential-unexplained.jsonl'), 'w') as fh:
        for d in unexplained:
            fh.write(json.dumps(d) + '\n')
    theirs_rejected = counts['reject/reject'] + counts['theirs-only']
    catch = counts['reject/reject'] / theirs_rejected if theirs_rejected else 1.0
    report.note('calls {0}: accept/accept {1}, reject/reject {2}, ours-only rejections {3}, theirs-only rejections {4}'
                .format(len(calls), counts['accept/accept'], counts['reject/reject'], counts['ours-only'],
                        counts['theirs-only']))
    report.note('catch rate: {0}/{1} = {2:.2%} of the calls fakepve rejects for parameters'.format(
        counts['reject/reject'], theirs_rejected, catch))
    for (direction, entry_id), n in sorted(triaged.items()):
        report.note('triaged {0:12} {1:5}  {2}'.format(direction, n, entry_id))
    for e in known:
        if not hits[e['id']]:
            report.note('allowlist entry {0!r} matched nothing in this corpus'.format(e['id']))
    for d in unexplained[:15]:
        report.note('UNEXPLAINED {direction}: {method} {path} {params} ours={our_errors} '
                    'theirs={their_status} {their_errors} {their_message}'.format(**d))
    report.check('every disagreement is triaged ({0} unexplained; all in differential-unexplained.jsonl)'.format(
        len(unexplained)), not unexplained)
    report.check('catch rate >= 95% ({0:.2%})'.format(catch), catch >= MIN_CATCH_RATE)
    report.check('no unexplained false rejection (ours-only)',
                 not [d for d in unexplained if d['direction'] == 'ours-only'])


if __name__ == '__main__':
    common.main(run, 'differential', 300)
