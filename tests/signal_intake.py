"""Signal's events taken in for an end-to-end test, as `entraide run` takes them: the
client's events through the inbound path, and a way to wait until all is handled."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.signal.inbound import SignalInbound
from bot.signal.rpc import SignalRpc


class Intake:
    def __init__(self, rpc: SignalRpc, inbound: SignalInbound) -> None:
        self.rpc, self.inbound = rpc, inbound
        self.task = asyncio.create_task(inbound.run(rpc.events()))

    async def settle(self, deliver: Callable[[], Awaitable[object]]) -> None:
        """Until every event the client has read is handled and `deliver` has sent the answers."""
        inbound = self.inbound
        for _ in range(300):
            await asyncio.sleep(0.01)
            await inbound.lanes.drain()
            await deliver()
            if not len(inbound.lanes) and self.rpc.stats.events <= inbound.handled + inbound.ignored:
                return
        raise AssertionError("the bot did not settle")

    async def close(self) -> None:
        """The connection closes; the events already read are handled first."""
        await self.rpc.close()
        await self.task
