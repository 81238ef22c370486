"""Bilingual (Spanish/English) texts for the demo forum on territorial resilience."""

COMMUNITY = dict(
    slug="red-planificacion",
    name_es="Red de Planificación",
    name_en="Planning Network",
    description_es=(
        "La Red de Planificación para el Desarrollo en América Latina y el Caribe reúne a "
        "cerca de 3.200 planificadores, servidores públicos y académicos de toda la región. "
        "Impulsada por el ILPES de la CEPAL, es un espacio para intercambiar experiencias, "
        "debatir enfoques y aprender en conjunto sobre la planificación para el desarrollo."
    ),
    description_en=(
        "The Planning Network for Development in Latin America and the Caribbean brings "
        "together some 3,200 planners, public servants and academics from across the region. "
        "Run by ILPES/ECLAC, it is a space to share experiences, debate approaches and learn "
        "together about planning for development."
    ),
)

FORUM_PAIR = dict(
    slug="resiliencia-territorial",
    title_es="Resiliencia territorial",
    title_en="Territorial resilience",
    summary_es=(
        "Un foro asincrónico de dos meses para reflexionar sobre cómo construir territorios "
        "más resilientes frente a los choques externos, los desastres socionaturales y el "
        "cambio climático."
    ),
    summary_en=(
        "A two-month asynchronous forum to reflect on how to build more resilient territories "
        "in the face of external shocks, socio-natural disasters and climate change."
    ),
)

GUIDING_QUESTIONS = [
    {
        "en": (
            "What are the main challenges in building more resilient territories? "
            "In rural territories? And in urban ones?"
        ),
        "es": (
            "¿Cuáles son los principales desafíos para construir territorios más resilientes? "
            "¿En los territorios rurales? ¿Y en los urbanos?"
        ),
        "body_en": (
            "Tell us which challenges you see as most pressing in your country or territory, "
            "and whether they differ between rural and urban areas."
        ),
        "body_es": (
            "Cuéntenos qué desafíos considera más urgentes en su país o territorio, y si "
            "son distintos en las zonas rurales y en las urbanas."
        ),
    },
    {
        "en": (
            "What changes need to be made to achieve these new capacities at different "
            "levels of government?"
        ),
        "es": (
            "¿Qué cambios deben realizarse para lograr estas nuevas capacidades en los "
            "distintos niveles de gobierno?"
        ),
        "body_en": (
            "Share the institutional, legal, fiscal or organizational changes that, in your "
            "experience, national, subnational and local governments need to make."
        ),
        "body_es": (
            "Comparta los cambios institucionales, normativos, fiscales u organizacionales "
            "que, según su experiencia, deben emprender los gobiernos nacionales, "
            "subnacionales y locales."
        ),
    },
    {
        "en": (
            "How does public administration build, maintain and articulate new State "
            "capacities (collaborative leadership, planning, foresight, openness, "
            "participation, negotiation) at all levels?"
        ),
        "es": (
            "¿Cómo se construyen, mantienen y articulan en la gestión pública las nuevas "
            "capacidades institucionales del Estado (liderazgo colaborativo, planificación, "
            "prospectiva, apertura, participación)?"
        ),
        "body_en": (
            "Starting from capacities such as collaborative leadership, planning, foresight, "
            "and openness, participation, negotiation and collaboration, how can public "
            "administrations build them, sustain them over time and make them work together? "
            "Examples from your institution are welcome."
        ),
        "body_es": (
            "A partir de capacidades como el liderazgo colaborativo, la planificación, la "
            "prospectiva y la apertura, participación, negociación y colaboración, ¿cómo "
            "puede la administración pública construirlas, sostenerlas en el tiempo y "
            "articularlas entre sí? Los ejemplos de su institución son bienvenidos."
        ),
    },
    {
        "en": (
            "How can foresight capacities contribute to the construction of resilient "
            "territories?"
        ),
        "es": (
            "¿Cómo pueden contribuir las capacidades de prospectiva a la construcción de "
            "territorios resilientes?"
        ),
        "body_en": (
            "Have scenario exercises, early warning or long-term visions helped your territory "
            "prepare for risks? Tell us what worked and what did not."
        ),
        "body_es": (
            "¿Los ejercicios de escenarios, la alerta temprana o las visiones de largo plazo "
            "han ayudado a su territorio a prepararse frente a los riesgos? Cuéntenos qué "
            "funcionó y qué no."
        ),
    },
]

THEMES = [
    {"code": "complexity", "es": "Complejidad", "en": "Complexity"},
    {"code": "uncertainty", "es": "Incertidumbre", "en": "Uncertainty"},
    {"code": "limited-resources", "es": "Recursos limitados", "en": "Limited resources"},
    {
        "code": "coordination",
        "es": "Mecanismos de coordinación",
        "en": "Coordination mechanisms",
    },
    {
        "code": "citizen-involvement",
        "es": "Involucramiento ciudadano",
        "en": "Citizen involvement",
    },
    {
        "code": "short-long-term",
        "es": "Corto, mediano y largo plazo",
        "en": "Short, medium and long term",
    },
]

SAMPLE_REPLIES = [
    {
        "question": 0,
        "language": "es",
        "author": "member",
        "body": """Desde un municipio de la Región de Valparaíso, en Chile, el principal desafío
ha sido pasar del papel a la práctica. La Ley 21.364 nos obliga a contar con un plan comunal
para la reducción del riesgo de desastres, pero en muchas comunas rurales la unidad de
emergencia es una sola persona que además atiende otras funciones.

En las zonas urbanas el problema es distinto: los incendios forestales en la interfaz
urbano-rural mostraron que la expansión informal en quebradas y cerros avanza más rápido
que los instrumentos de planificación territorial. En lo rural, en cambio, pesan la
dispersión de la población, la sequía prolongada y la escasa conectividad. En ambos casos
falta información de riesgo actualizada y a una escala útil para la decisión local.""",
    },
    {
        "question": 0,
        "language": "en",
        "author": "participant_dm",
        "body": """Writing from the Eastern Caribbean: after Hurricane Maria in 2017, Dominica set
itself the goal of becoming a climate-resilient nation and created a dedicated agency to
steer reconstruction. One lesson is that "rural" and "urban" challenges look different on
a small island. In Roseau the issue was rebuilding housing and utilities to stronger
standards quickly; in rural villages it was restoring roads, water supply and farm incomes
when access had been cut for weeks.

The common challenge is fiscal: every major storm wipes out a large share of GDP, so
resilience investment competes with immediate recovery. Without contingent financing and
insurance mechanisms, territories end up rebuilding the same vulnerabilities.""",
    },
    {
        "question": 1,
        "language": "es",
        "author": "organizer",
        "body": """Gracias por los aportes de la primera semana. Propongo ordenar la discusión
sobre los cambios necesarios en tres planos, que han aparecido en varias intervenciones:

- **Normativo:** sistemas nacionales de gestión del riesgo que definan con claridad las
  competencias de cada nivel, como lo hizo Colombia con la Ley 1523 de 2012 y sus consejos
  territoriales.
- **Fiscal:** transferencias estables y fondos de contingencia a los que los gobiernos
  locales puedan acceder sin trámites que demoren meses.
- **Humano:** equipos técnicos con continuidad más allá de los ciclos electorales.

¿Qué otros cambios consideran prioritarios? Nos interesa en especial conocer experiencias
de gobiernos intermedios, como provincias, departamentos o regiones.""",
    },
    {
        "question": 1,
        "language": "en",
        "author": "participant_dm",
        "body": """In small island states the "local government" level is often very thin, so
the changes we need are less about decentralizing and more about connecting. In Barbados,
programmes such as Roofs to Reefs have tried to link national investment in resilient
housing, water and coastal protection with community-level needs.

From my experience, two changes matter most: first, giving ministries of planning a clear
mandate to screen all public investment for climate and disaster risk; second, creating
formal channels so that parish or community organizations can report risks and priorities
before projects are designed, not after.""",
    },
    {
        "question": 2,
        "language": "es",
        "author": "participant_pe",
        "body": """Quisiera compartir la experiencia de la gestión del agua en los Andes peruanos.
Con la Ley 30215 sobre mecanismos de retribución por servicios ecosistémicos, varias
empresas de agua potable incorporan en su tarifa un aporte para conservar y recuperar las
cabeceras de cuenca, por ejemplo mediante la restauración de qochas y pastizales.

Lo interesante, en relación con esta pregunta, es que la capacidad no se construyó en una
sola institución: requirió liderazgo colaborativo entre la empresa de agua, el regulador,
los gobiernos regionales y las comunidades campesinas, y espacios de negociación como los
consejos de recursos hídricos de cuenca. Esa capacidad se mantiene cuando existe un
financiamiento estable y una mesa de diálogo que sobrevive a los cambios de autoridades.""",
    },
    {
        "question": 2,
        "language": "es",
        "author": "moderator",
        "body": """Muy valiosos los ejemplos compartidos hasta ahora. Me llama la atención que en
casi todos los casos la capacidad que se sostiene en el tiempo es la que queda
**institucionalizada**: en una norma, en un presupuesto o en una instancia de
participación permanente, y no solo en las personas.

Para profundizar, les invito a revisar el documento *Instituciones resilientes para una
recuperación pospandemia transformadora en América Latina y el Caribe: aportes para la
discusión*, disponible en el sitio del [ILPES](https://www.cepal.org/es/ilpes). ¿Cómo se
han evaluado estas capacidades en sus instituciones? ¿Cuentan con algún instrumento para
medir el liderazgo colaborativo o la apertura a la participación?""",
    },
    {
        "question": 3,
        "language": "es",
        "author": "participant_uy",
        "body": """En Uruguay, la Estrategia Nacional de Desarrollo Uruguay 2050 mostró que la
prospectiva sirve sobre todo para conversar sobre el futuro con actores que normalmente no
se sientan a la misma mesa. Cuando llevamos los escenarios al nivel departamental, el
ejercicio obligó a discutir qué pasaría con la producción, el empleo y el agua ante sequías
más frecuentes, como la de 2023.

Creo que el aporte de la prospectiva a la resiliencia territorial está en tres puntos:
anticipar riesgos que todavía no aparecen en los registros históricos, construir una visión
compartida que dé sentido a las inversiones de largo plazo y, quizás lo más importante,
generar memoria institucional para que el aprendizaje no se pierda con cada crisis.""",
    },
    {
        "question": 3,
        "language": "en",
        "author": "moderator",
        "body": """Thank you all for a rich exchange on foresight. A pattern is emerging: foresight
adds most value when it is linked to concrete decisions, such as investment plans, land-use
rules or early warning systems, rather than kept as a one-off exercise.

Several of you mentioned scenario workshops with municipalities and communities. Could
you say more about how the results were used afterwards? For example, did they change a
development plan, a budget line or the location of critical infrastructure? Concrete cases
will help us prepare the closing webinar, where we will bring together the main ideas
from both the Spanish and the English forums.""",
    },
]

# The forum's closing webinar (the concept note announces it, with simultaneous interpretation).
WEBINAR = {
    "title_es": "Seminario web de cierre: territorios resilientes en América Latina y el Caribe",
    "title_en": "Closing webinar: resilient territories in Latin America and the Caribbean",
    "description_es": (
        "Al cierre del foro, especialistas de la región presentan las principales ideas de la "
        "discusión en español y en inglés, con interpretación simultánea, y conversan sobre cómo "
        "la planificación puede construir territorios más resilientes frente a choques externos, "
        "desastres socionaturales y el cambio climático.\n\n"
        "Se presentará la sistematización de ambos foros."),
    "description_en": (
        "At the close of the forum, experts from the region present the main ideas of the "
        "discussion in Spanish and English, with simultaneous interpretation, and discuss how "
        "planning can build territories that are more resilient to external shocks, "
        "socio-natural disasters and climate change.\n\n"
        "The synthesis of both forums will be presented."),
    "speakers": [
        {"role": "moderator", "name": "Luis Fernández", "affiliation": "ILPES, Red de Planificación para el Desarrollo",
         "bio": "Coordinates the network's forums and communities of practice."},
        {"role": "speaker", "name": "Daniel Joseph", "affiliation": "Ministry of Planning, Dominica",
         "bio": "Works on disaster risk reduction in national development planning."},
        {"role": "speaker", "name": "Rosa Quispe", "affiliation": "Gobierno Regional de Cusco, Perú",
         "bio": "Leads territorial planning and climate adaptation at the subnational level."},
    ],
}

# A consultation in rounds (technical committee), linked to the forum's synthesis.
CONSULTATION = {
    "title_es": "Consulta sobre un índice de resiliencia territorial",
    "title_en": "Consultation on a territorial resilience index",
    "description_es": "Una consulta en rondas para acordar las dimensiones y criterios de un índice regional.",
    "description_en": "A consultation in rounds to agree on the dimensions and criteria of a regional index.",
    "round_es": "Primera ronda: dimensiones y criterios",
    "round_en": "First round: dimensions and criteria",
    "questions": [
        {"kind": "single", "text_es": "¿Qué dimensión debería pesar más en el índice?",
         "text_en": "Which dimension should weigh most in the index?",
         "options": "Social | Social\nEconómica | Economic\nAmbiental | Environmental\nInstitucional | Institutional"},
        {"kind": "scale", "allow_comment": True,
         "text_es": "El índice debe poder calcularse a nivel subnacional.",
         "text_en": "The index must be computable at the subnational level."},
        {"kind": "ranking", "text_es": "Ordene los criterios para elegir indicadores.",
         "text_en": "Rank the criteria for choosing indicators.",
         "options": "Pertinencia | Relevance\nDisponibilidad de datos | Data availability\nComparabilidad | Comparability"},
    ],
}
