"""Scenario 3: the MCP conformance suite's server scenarios against /mcp.

    npx @modelcontextprotocol/conformance server --url http://127.0.0.1:PORT/mcp --scenario NAME

Every server scenario the suite lists runs, one at a time. A scenario may be left out only
through e2e/conformance-baseline.json, which names each one with the reason it does not
apply to this tools-only server; everything else must pass, and a baseline entry whose
scenario passes is reported, so the baseline cannot go stale unnoticed.
"""

import json
import os
import re

import common

NODE_DIR = os.environ.get('E2E_NODE_DIR', '')
BASELINE = os.path.join(common.E2E_DIR, 'conformance-baseline.json')
ANSI = re.compile(r'\x1b\[[0-9;]*m')


async def conformance(*args, limit=120):
    env = dict(os.environ, NO_COLOR='1', npm_config_update_notifier='false')
    code, out, err = await common.command('npx', '--no-install', '@modelcontextprotocol/conformance', *args,
                                          cwd=NODE_DIR, env=env, time_limit=limit, merge=True)
    return code, ANSI.sub('', out or err)


async def server_scenarios():
    code, out = await conformance('list')
    section = out.split('Server scenarios', 1)[-1].split('Client scenarios', 1)[0]
    return re.findall(r'^\s*-\s+(\S+)', section, re.M)


async def run(report):
    with open(BASELINE) as fh:
        baseline = {e['scenario']: e['reason'] for e in json.load(fh)['not_applicable']}
    names = await server_scenarios()
    report.check('the suite lists server scenarios ({0})'.format(len(names)), len(names) >= 10, names)
    unknown = sorted(set(baseline) - set(names))
    report.check('every baseline entry names a listed scenario', not unknown, unknown)
    out_dir = os.path.join(common.RUN_DIR, 'conformance')
    for name in names:
        code, out = await conformance('server', '--url', common.SERVER + '/mcp', '--scenario', name,
                                      '--output-dir', out_dir)
        with open(os.path.join(common.RUN_DIR, 'conformance-{0}.log'.format(name)), 'w') as fh:
            fh.write(out)
        tail = ' | '.join(line for line in out.splitlines() if re.search(r'FAIL|Error|✗|failed', line))[:600]
        if name in baseline:
            report.check('{0}: not applicable ({1}); it does not pass'.format(name, baseline[name]), code != 0,
                         'it passes now: remove it from the baseline')
        else:
            report.check('{0}: passes'.format(name), code == 0, tail or out[-600:])
    report.check('server healthy after the suite', await common.healthz() == 200)


if __name__ == '__main__':
    common.main(run, 'conformance', 420)
