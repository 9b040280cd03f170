"""Scenario 2: the MCP Inspector CLI over legacy SSE and Streamable HTTP.

    npx @modelcontextprotocol/inspector --cli URL --transport sse|http --method tools/list
    npx @modelcontextprotocol/inspector --cli URL --transport sse|http --method tools/call ...
"""

import json
import os

import common
from scenario_clients import EXPECTED_TOOLS

NODE_DIR = os.environ.get('E2E_NODE_DIR', '')


async def inspector(*args):
    """Runs the Inspector CLI; returns (exit code, stdout, stderr)."""
    env = dict(os.environ, MCP_CATALOG_PATH=os.path.join(common.RUN_DIR, 'inspector-catalog.json'),
               NO_COLOR='1', npm_config_update_notifier='false')
    return await common.command('npx', '--no-install', '@modelcontextprotocol/inspector', '--cli', *args,
                                cwd=NODE_DIR, env=env, time_limit=90)


def parse(out):
    """The JSON document the CLI printed (the last one, if it printed several lines)."""
    try:
        return json.loads(out)
    except ValueError:
        for line in reversed(out.strip().splitlines()):
            try:
                return json.loads(line)
            except ValueError:
                continue
    return None


async def run(report):
    for transport, path in (('sse', '/sse'), ('http', '/mcp')):
        url = common.SERVER + path
        code, out, err = await inspector(url, '--transport', transport, '--method', 'tools/list')
        doc = parse(out) or {}
        names = {t.get('name') for t in doc.get('tools', [])}
        report.check('[{0}] inspector tools/list exits 0'.format(transport), code == 0, err or out)
        report.check('[{0}] inspector tools/list shows the 9 tools'.format(transport), names == EXPECTED_TOOLS,
                     sorted(n for n in names if n))

        code, out, err = await inspector(url, '--transport', transport, '--method', 'tools/call',
                                         '--tool-name', 'list_nodes', '--tool-arg', 'cluster=alpha')
        doc = parse(out) or {}
        text = json.dumps(doc)
        report.check('[{0}] inspector tools/call list_nodes exits 0'.format(transport), code == 0, err or out)
        report.check('[{0}] inspector tools/call list_nodes answers pve1 and pve2, not isError'.format(transport),
                     not doc.get('isError') and '"pve1"' in text and '"pve2"' in text, out)
        report.no_secret('inspector output', out + err)

        code, out, err = await inspector(url, '--transport', transport, '--method', 'tools/call',
                                         '--tool-name', 'proxmox_api_call', '--tool-arg', 'path=/nodes/pve1/qemu/99/config',
                                         'method=GET')
        doc = parse(out) or {}
        report.check('[{0}] inspector tools/call with an invalid vmid: isError naming vmid'.format(transport),
                     doc.get('isError') is True and 'vmid' in json.dumps(doc), out + err)


if __name__ == '__main__':
    common.main(run, 'inspector', 300)
