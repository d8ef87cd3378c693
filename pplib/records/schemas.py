"""Canonical form of every input: one declaration per source kind.

Each source a locality supplies (police extract, NRM referrals, registers...)
has its own column names; the locality configuration maps them onto the
canonical names declared here. This module is the single place that says
what each canonical column means, which are required and which hold
personal data. The README's data dictionary is generated from it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # "str", "date", "int", "category", "flag", "text"
    description: str
    required: bool = False
    personal: bool = False
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceSchema:
    kind: str
    title: str
    grain: str
    fields: tuple[Field, ...]
    key: str | None = None

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def required(self) -> list[str]:
        return [f.name for f in self.fields if f.required]

    @property
    def personal(self) -> list[str]:
        return [f.name for f in self.fields if f.personal]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


EXPLOITATION_TYPES = (
    "labour", "criminal", "sexual", "domestic servitude", "organ harvesting", "other", "unknown",
)
SEXES = ("male", "female", "other", "unknown")
AGE_GROUPS = ("adult", "child", "unknown")

_SEX = "Sex as recorded (Male/Female/M/F/...); normalised to " + "/".join(SEXES)
_NATIONALITY = "Nationality as recorded (free text, e.g. 'British', 'Albanian'); normalised to a country name"

CRIMES = SourceSchema(
    kind="crimes",
    title="Police recorded crimes (modern slavery occurrences)",
    grain="one row per crime",
    key="crime_ref",
    fields=(
        Field("crime_ref", "str", "Crime reference number", required=True, personal=True),
        Field("date_committed", "date", "Date the offence was committed (or first committed)"),
        Field("date_recorded", "date", "Date the crime was recorded", required=True),
        Field("offence", "str", "Offence description (e.g. Modern Slavery Act 2015 s.1)"),
        Field("exploitation_types", "text",
              "Exploitation type(s), free text, several allowed, e.g. 'Labour; Criminal'",
              allowed=EXPLOITATION_TYPES),
        Field("lad_code", "str", "ONS local authority district code (E06/E07/E08/E09/W06, S12, N09) or district name"),
        Field("lad_name", "str", "Local authority district name"),
        Field("postcode_district", "str", "Postcode district of the location, e.g. NG7"),
        Field("beat", "str", "Police beat or neighbourhood"),
        Field("county_lines", "flag", "County lines flag (Y/N, Yes/No, 1/0, blank)"),
        Field("sector", "str", "Sector or setting (car wash, nail bar, agriculture...)"),
        Field("outcome", "str", "Investigation outcome"),
        Field("mo_text", "text", "Modus operandi, free text", personal=True),
    ),
)

VICTIMS = SourceSchema(
    kind="victims",
    title="Victims linked to recorded crimes",
    grain="one row per victim per crime",
    fields=(
        Field("crime_ref", "str", "Crime reference the victim is linked to", required=True, personal=True),
        Field("victim_id", "str", "Person identifier in the police system", personal=True),
        Field("victim_name", "str", "Victim name", personal=True),
        Field("date_of_birth", "date", "Victim date of birth", personal=True),
        Field("age", "int", "Age at the time of the offence, in years"),
        Field("sex", "category", _SEX, allowed=SEXES),
        Field("nationality", "str", _NATIONALITY),
    ),
)

SUSPECTS = SourceSchema(
    kind="suspects",
    title="Suspects linked to recorded crimes",
    grain="one row per suspect per crime",
    fields=(
        Field("crime_ref", "str", "Crime reference the suspect is linked to", required=True, personal=True),
        Field("suspect_id", "str", "Person identifier in the police system", personal=True),
        Field("suspect_name", "str", "Suspect name", personal=True),
        Field("age", "int", "Age at the time of the offence, in years"),
        Field("sex", "category", _SEX, allowed=SEXES),
        Field("nationality", "str", _NATIONALITY),
    ),
)

NRM_REFERRALS = SourceSchema(
    kind="nrm_referrals",
    title="Local National Referral Mechanism referrals",
    grain="one row per referral",
    key="referral_id",
    fields=(
        Field("referral_id", "str", "Referral reference", required=True, personal=True),
        Field("referral_date", "date", "Date of referral", required=True),
        Field("age_group", "category", "Age at exploitation: Adult/Child/Unknown", allowed=AGE_GROUPS),
        Field("sex", "category", _SEX, allowed=SEXES),
        Field("nationality", "str", _NATIONALITY),
        Field("exploitation_types", "text", "Exploitation type(s) as recorded", allowed=EXPLOITATION_TYPES),
        Field("first_responder", "str", "First responder organisation type (Police, Local Authority, NGO...)"),
        Field("exploitation_location", "category", "Where exploitation took place: UK / Overseas / UK and overseas / Unknown"),
        Field("rg_decision", "category", "Reasonable grounds decision: Positive / Negative / Pending"),
        Field("cg_decision", "category", "Conclusive grounds decision: Positive / Negative / Pending"),
        Field("lad_code", "str", "ONS local authority district code where known"),
    ),
)

DUTY_TO_NOTIFY = SourceSchema(
    kind="duty_to_notify",
    title="Duty to Notify (MS1) reports: adults who did not enter the NRM",
    grain="one row per report",
    key="report_id",
    fields=(
        Field("report_id", "str", "Report reference", required=True, personal=True),
        Field("report_date", "date", "Date of the report", required=True),
        Field("sex", "category", _SEX, allowed=SEXES),
        Field("nationality", "str", _NATIONALITY),
        Field("exploitation_types", "text", "Exploitation type(s) as recorded", allowed=EXPLOITATION_TYPES),
        Field("first_responder", "str", "Reporting public authority"),
        Field("lad_code", "str", "ONS local authority district code where known"),
    ),
)

ASSETS = SourceSchema(
    kind="assets",
    title="Partnership asset register",
    grain="one row per asset (service, training, outreach, accommodation, funding)",
    fields=(
        Field("asset", "str", "Name of the asset", required=True),
        Field("organisation", "str", "Organisation providing it"),
        Field("asset_type", "str", "Service, training, outreach, accommodation, funding..."),
        Field("level", "category", "Resilience frame level: personal; culture and locality; legal and regulatory; structural"),
        Field("function", "category", "Resilience frame function: prevention; discovery; respite and recovery; sustainable resilience"),
        Field("four_p", "category", "4Ps strand: Pursue, Prevent, Protect, Prepare"),
        Field("theme", "str", "Partnership theme"),
        Field("description", "text", "What the asset is and does"),
    ),
)

ACTIONS = SourceSchema(
    kind="actions",
    title="Partnership action register",
    grain="one row per action",
    fields=(
        Field("action", "str", "The action", required=True),
        Field("theme", "str", "Partnership theme"),
        Field("priority", "category", "High / Medium / Low"),
        Field("owner", "str", "Owning organisation or role"),
        Field("timeframe", "str", "When it is due (e.g. 'Q2 2024', 'by March 2025')"),
        Field("status", "category", "Not started / In progress / Complete"),
    ),
)

RISKS = SourceSchema(
    kind="risks",
    title="Partnership threat and risk register",
    grain="one row per risk",
    fields=(
        Field("risk", "str", "Short name of the risk", required=True),
        Field("description", "text", "What the risk is"),
        Field("likelihood", "category", "Low / Medium / High"),
        Field("impact", "category", "Low / Medium / High"),
        Field("mitigation", "text", "What is done about it"),
        Field("owner", "str", "Owning organisation or role"),
    ),
)

INTELLIGENCE_GAPS = SourceSchema(
    kind="intelligence_gaps",
    title="Partnership register of intelligence gaps",
    grain="one row per gap",
    fields=(
        Field("gap", "str", "What is not known", required=True),
        Field("description", "text", "Why it matters"),
        Field("source", "str", "Data or organisation that could fill it"),
        Field("owner", "str", "Who will pursue it"),
        Field("status", "category", "Open / In progress / Closed"),
    ),
)

SCHEMAS: dict[str, SourceSchema] = {
    s.kind: s
    for s in (CRIMES, VICTIMS, SUSPECTS, NRM_REFERRALS, DUTY_TO_NOTIFY,
              ASSETS, ACTIONS, RISKS, INTELLIGENCE_GAPS)
}


def data_dictionary_markdown() -> str:
    """The README's data dictionary: every input, every canonical column."""
    parts = []
    for schema in SCHEMAS.values():
        parts.append(f"#### `{schema.kind}`: {schema.title}\n\nGrain: {schema.grain}.\n")
        parts.append("| column | type | required | personal | meaning |\n|---|---|---|---|---|")
        for f in schema.fields:
            meaning = f.description + (f" (one of: {', '.join(f.allowed)})" if f.allowed and f.kind != "text" else "")
            parts.append(f"| `{f.name}` | {f.kind} | {'yes' if f.required else ''} | "
                         f"{'yes' if f.personal else ''} | {meaning} |")
        parts.append("")
    return "\n".join(parts)
