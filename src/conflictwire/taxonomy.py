"""ACLED event types and sub-event types (ACLED's exact strings), with their PLOVER mapping.

The short definitions paraphrase the ACLED codebook; they document each type and seed the
extractor's cues.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SubEventType:
    event_type: str
    name: str
    plover: str
    definition: str


_T = SubEventType

SUB_EVENT_TYPES: tuple[SubEventType, ...] = (
    _T("Battles", "Armed clash", "FIGHT",
       "Armed, organised groups fight each other and neither side changes control of territory."),
    _T("Battles", "Government regains territory", "FIGHT",
       "Government forces or their allies win back territory held by a non-state group."),
    _T("Battles", "Non-state actor overtakes territory", "FIGHT",
       "A non-state armed group takes territory from the government or another group by fighting."),
    _T("Explosions/Remote violence", "Chemical weapon", "FIGHT",
       "Chemical weapons such as chlorine or sarin are used."),
    _T("Explosions/Remote violence", "Air/drone strike", "FIGHT",
       "Aircraft or drones bomb or fire missiles at a target."),
    _T("Explosions/Remote violence", "Suicide bomb", "FIGHT",
       "A bomber kills themselves in detonating explosives: suicide vests, car bombs driven by a bomber."),
    _T("Explosions/Remote violence", "Shelling/artillery/missile attack", "FIGHT",
       "Artillery, mortars, rockets or missiles are fired from the ground or sea at a target."),
    _T("Explosions/Remote violence", "Remote explosive/landmine/IED", "FIGHT",
       "A planted or remotely detonated device explodes: roadside bomb, landmine, IED, car bomb."),
    _T("Explosions/Remote violence", "Grenade", "FIGHT",
       "A hand grenade or similar thrown explosive is used."),
    _T("Violence against civilians", "Sexual violence", "ASSAULT",
       "Rape or other sexual violence by an armed or organised actor."),
    _T("Violence against civilians", "Attack", "ASSAULT",
       "An armed actor attacks unarmed civilians: killings, massacres, beatings, shootings of civilians."),
    _T("Violence against civilians", "Abduction/forced disappearance", "ASSAULT",
       "Civilians are kidnapped, abducted or disappeared by an armed or organised actor."),
    _T("Protests", "Peaceful protest", "PROTEST",
       "People demonstrate without violence and without intervention by the authorities."),
    _T("Protests", "Protest with intervention", "PROTEST",
       "A peaceful protest is dispersed or suppressed by force short of lethal weapons: tear gas, arrests."),
    _T("Protests", "Excessive force against protesters", "PROTEST",
       "Authorities use lethal force or live fire against peaceful protesters."),
    _T("Riots", "Violent demonstration", "PROTEST",
       "Demonstrators engage in violence or destruction: stone throwing, burning property, clashes."),
    _T("Riots", "Mob violence", "ASSAULT",
       "A crowd attacks people or property spontaneously, without a protest aim: lynching, vigilante mobs."),
    _T("Strategic developments", "Agreement", "AGREE",
       "Parties agree: ceasefire, peace deal, prisoner exchange, negotiated evacuation or surrender terms."),
    _T("Strategic developments", "Arrests", "COERCE",
       "Authorities arrest or detain people in a non-violent political or conflict context."),
    _T("Strategic developments", "Change to group/activity", "CONSULT",
       "An armed group changes: it forms, merges, splits, recruits, surrenders or relocates its fighters."),
    _T("Strategic developments", "Disrupted weapons use", "COERCE",
       "Forces defuse a bomb, seize weapons, intercept a drone or foil an attack before it happens."),
    _T("Strategic developments", "Headquarters or base established", "MOBILIZE",
       "An armed group sets up a base or headquarters without fighting."),
    _T("Strategic developments", "Looting/property destruction", "COERCE",
       "Property is looted, burned or destroyed by an armed actor without an attack on people."),
    _T("Strategic developments", "Non-violent transfer of territory", "MOBILIZE",
       "Control of territory changes without fighting: withdrawal, handover, evacuation of forces."),
    _T("Strategic developments", "Other", "MOBILIZE",
       "A significant development of a conflict that fits no other strategic type."),
    _T("Other events", "Organized crime", "CRIME",
       "Criminal violence by gangs or cartels without a political aim, or ordinary crime."),
    _T("Other events", "Natural disaster", "OTHER",
       "An earthquake, flood, storm or other natural hazard."),
    _T("Other events", "Man-made disaster", "OTHER",
       "An accident such as a fire, a collapse or a crash that no actor intended."),
    _T("Other events", "Diplomatic event", "CONSULT",
       "Talks, visits, statements or sanctions between governments without violence."),
    _T("Other events", "Attribution", "ACCUSE",
       "A claim of responsibility for an attack, or blame for it laid on a party."),
)

BY_SUB_TYPE: dict[str, SubEventType] = {t.name: t for t in SUB_EVENT_TYPES}
EVENT_TYPES: tuple[str, ...] = tuple(dict.fromkeys(t.event_type for t in SUB_EVENT_TYPES))

#: Event families that may describe one incident: two reports of one incident can disagree on the
#: sub-type (a "clash" vs a "shelling") but rarely jump between these families.
FAMILIES: dict[str, str] = {
    "Battles": "violent",
    "Explosions/Remote violence": "violent",
    "Violence against civilians": "violent",
    "Protests": "demonstration",
    "Riots": "demonstration",
    "Strategic developments": "strategic",
    "Other events": "other",
}


def event_type_of(sub_event_type: str) -> str:
    """The ACLED event type of a sub-event type; raises KeyError for an unknown name."""
    return BY_SUB_TYPE[sub_event_type].event_type


def family_of(event_type: str) -> str:
    return FAMILIES.get(event_type, "other")


def plover_of(sub_event_type: str) -> str:
    return BY_SUB_TYPE[sub_event_type].plover
