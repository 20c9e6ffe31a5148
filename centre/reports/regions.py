"""The world regions the centre reports participants by, from a country's ISO 3166 code.

MENA is the Arab countries of North Africa (Western Sahara included) and the Middle East with
Israel and Iran; Djibouti, Somalia and the Comoros, though Arab League members, count with Africa,
where they lie. Turkey and the South Caucasus count with Europe, as the Council of Europe and the
AOM count them; Ceuta, Melilla and the Canaries with Spain, hence Europe. The Pacific, Antarctica
and codes not listed fall under "Other".
"""
import enum

from flask_babel import lazy_gettext as _l


class Region(enum.StrEnum):
    AFRICA = "africa"
    MENA = "mena"
    EUROPE = "europe"
    AMERICAS = "americas"
    ASIA = "asia"
    OTHER = "other"

    @property
    def label(self):
        return {
            Region.AFRICA: _l("Africa"),
            Region.MENA: _l("Middle East and North Africa"),
            Region.EUROPE: _l("Europe"),
            Region.AMERICAS: _l("The Americas"),
            Region.ASIA: _l("Asia"),
            Region.OTHER: _l("Other regions"),
        }[self]


_CODES = {
    Region.MENA: "MA DZ TN LY EG MR SD EH SA AE QA KW BH OM YE IQ SY LB JO PS IL IR",
    Region.AFRICA: "AO BF BI BJ BW CD CF CG CI CM CV DJ ER ET GA GH GM GN GQ GW KE KM LR LS MG ML MU MW "
                   "MZ NA NE NG RE RW SC SH SL SN SO SS ST SZ TD TG TZ UG YT ZA ZM ZW AC TA",
    Region.EUROPE: "AD AL AM AT AX AZ BA BE BG BY CH CY CZ DE DK EE ES FI FO FR GB GE GG GI GR HR HU IE "
                   "IM IS IT JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM TR UA VA XK "
                   "CQ EA IC",
    Region.AMERICAS: "AG AI AR AW BB BL BM BO BQ BR BS BZ CA CL CO CR CU CW DM DO EC FK GD GF GL GP GS GT "
                     "GY HN HT JM KN KY LC MF MQ MS MX NI PA PE PM PR PY SR SV SX TC TT US UY VC VE VG VI",
    Region.ASIA: "AF BD BN BT CN HK ID IN IO JP KG KH KP KR KZ LA LK MM MN MO MV MY NP PH PK SG TH TJ TL "
                 "TM TW UZ VN DG",
}

#: ISO 3166-1 alpha-2 code → region.
REGION_OF: dict[str, Region] = {code: region for region, codes in _CODES.items() for code in codes.split()}


def region_of(country: str | None) -> Region:
    return REGION_OF.get((country or "").upper(), Region.OTHER)
