"""MCP sessions with the official Python SDK over each of the server's transports."""

import contextlib
import json
import os

from mcp import ClientSession, StdioServerParameters
from mcp.client.sse import sse_client
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

import common

TRANSPORTS = ('sse', 'http', 'stdio')


@contextlib.asynccontextmanager
async def open_session(transport, base=None, headers=None):
    """An initialized ClientSession over `transport` ('sse', 'http' or 'stdio')."""
    base = base or common.SERVER
    async with contextlib.AsyncExitStack() as stack:
        if transport == 'sse':
            streams = await stack.enter_async_context(sse_client(base + '/sse', headers=headers, timeout=30))
        elif transport == 'http':
            http = await stack.enter_async_context(create_mcp_http_client(headers=headers))
            streams = await stack.enter_async_context(streamable_http_client(base + '/mcp', http_client=http))
        elif transport == 'stdio':
            params = StdioServerParameters(
                command=common.BINARY,
                args=['--config', common.config_path(), 'serve', '--stdio'],
                env={'RUST_LOG': 'info,rmcp=warn', 'PATH': os.environ.get('PATH', '')},
            )
            errlog = stack.enter_context(open(os.path.join(common.RUN_DIR, 'stdio-server.log'), 'a'))
            streams = await stack.enter_async_context(stdio_client(params, errlog=errlog))
        else:
            raise ValueError(transport)
        read, write = streams[0], streams[1]
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        yield session


def text_of(result):
    """The text content of a tool result, joined."""
    return '\n'.join(getattr(c, 'text', '') for c in result.content)


def json_of(result):
    """The structured content, or the text parsed as JSON (the first line for task answers)."""
    if result.structured_content is not None:
        return result.structured_content
    text = text_of(result)
    try:
        return json.loads(text)
    except ValueError:
        return json.loads(text.splitlines()[0])
