"""The register of confidentiality incidents (Quebec Law 25), kept encrypted."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Tx


@dataclass(frozen=True)
class Incident:
    id: int
    day: str
    nature: str
    measures: str


class IncidentRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(self, day: str, nature: str, measures: str) -> Incident:
        version = self.tx.key_version
        incident_id = await self.tx.insert(
            "INSERT INTO incidents (day, key_version, nature, measures) VALUES (?, ?, x'', x'')", (day, version)
        )
        keys = self.tx.keys
        await self.tx.execute(
            "UPDATE incidents SET nature = ?, measures = ? WHERE id = ?",
            (
                keys.seal_field("incidents", "nature", incident_id, version, nature.encode()),
                keys.seal_field("incidents", "measures", incident_id, version, measures.encode()),
                incident_id,
            ),
        )
        return Incident(incident_id, day, nature, measures)

    async def all(self) -> list[Incident]:
        keys = self.tx.keys
        found = []
        for incident_id, day, version, nature, measures in await self.tx.all(
            "SELECT id, day, key_version, nature, measures FROM incidents ORDER BY day, id"
        ):
            found.append(
                Incident(
                    incident_id,
                    day,
                    keys.open_field("incidents", "nature", incident_id, version, nature).decode(),
                    keys.open_field("incidents", "measures", incident_id, version, measures).decode(),
                )
            )
        return found
