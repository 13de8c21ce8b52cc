"""The offline writer's five tones: the sentences each one writes a letter from."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ToneSentences:
    """The sentences one tone writes a letter from ({role}, {company}… filled in)."""

    opening: str
    skills: str
    focus: str
    no_skills: str
    years: str
    quote: str
    fillers: tuple[str, ...]
    closing: str
    signoff: str


_PROFESSIONAL = ToneSentences(
    opening=(
        "I am writing to apply for {role} with {company}. Having read the description "
        "carefully, I believe my background is a strong match for what you need, and I "
        "would welcome the chance to contribute to the work ahead."
    ),
    skills="The description asks for several things that my CV already shows: {skills}.",
    focus=(
        "In particular, my experience with {focus} relates directly to the "
        "responsibilities you list, so I could contribute to that work from an early stage."
    ),
    no_skills=(
        "My CV and your description use different vocabulary, so instead of stretching "
        "the match I will describe how I work and why {role} appeals to me. I would be "
        "happy to walk through my background in detail."
    ),
    years=(
        "My CV records {years} of experience, which has given me a practical sense of "
        "how to deliver reliable results."
    ),
    quote='One line from my CV summarises that experience: "{quote}."',
    fillers=(
        "What draws me to {role} is the chance to do careful, useful work alongside "
        "people who care about the results. I value organisations that are clear about "
        "their goals, and your description suggests a team that knows what it wants to "
        "achieve and why it matters.",
        "In my work I try to be dependable and easy to collaborate with. I clarify "
        "expectations early, keep colleagues informed about progress and risks, and "
        "write down decisions so that others can build on them. When problems arise, I "
        "look for the underlying cause rather than a quick patch.",
        "In my first months I would focus on learning how {company} operates: the "
        "people, the priorities and the standards you hold yourselves to. From there I "
        "would take ownership of well-defined tasks, ask for feedback regularly, and "
        "gradually take on more responsibility as I earn your trust.",
        "I am also committed to continuous learning. I regularly review my own work to "
        "see what could be done better, and I welcome constructive feedback from "
        "colleagues at every level. I believe this habit would help me adapt quickly to "
        "your tools, processes and expectations.",
        "Finally, I take pride in treating colleagues, clients and the public with "
        "respect. Good work depends on trust, and I aim to earn it through honesty, "
        "consistency and follow-through on every commitment I make.",
    ),
    closing=(
        "Thank you for considering my application. I would welcome the opportunity to "
        "discuss how I could contribute to {company} and would be glad to provide any "
        "further information you need."
    ),
    signoff="Sincerely,",
)

_FRIENDLY = ToneSentences(
    opening=(
        "I'm excited to put myself forward for {role} with {company}. Reading through "
        "the description, I kept nodding along, because it sounds like the kind of work "
        "I enjoy and the kind of team I'd love to be part of."
    ),
    skills="Happily, a lot of what you're looking for shows up in my CV too: {skills}.",
    focus=(
        "I've especially enjoyed working with {focus}, and I'd be glad to bring that "
        "hands-on experience to your team right away."
    ),
    no_skills=(
        "Our wording doesn't line up neatly, so rather than stretch things, I'd like to "
        "tell you a bit about how I work and why {role} caught my eye. I'm always happy "
        "to chat through my background in more detail."
    ),
    years=(
        "I've got {years} of experience under my belt, and it's taught me a lot about "
        "getting things done with good humour."
    ),
    quote='If I had to pick one line from my CV that sums me up, it would be this: "{quote}."',
    fillers=(
        "What really draws me to {role} is the people side of it. I do my best work "
        "when I'm part of a friendly, supportive group where everyone pitches in, and "
        "from your description that sounds like exactly the kind of place I'd thrive.",
        "Day to day, I'm the colleague who checks in, shares what I've learned and is "
        "happy to lend a hand when things get busy. I like to keep things clear and "
        "simple, ask questions early, and make sure nobody is left guessing about where "
        "things stand.",
        "In my first few months, I'd want to get to know everyone, listen a lot, and "
        "learn how {company} really works day to day. Once I've found my feet, I'd love "
        "to pick up my own pieces of work and keep improving them with your feedback.",
        "I'm also genuinely curious and I enjoy learning new things. When something is "
        "unfamiliar, I dig in, ask for pointers, and get comfortable with it quickly. I "
        "think that attitude makes settling into a new team a lot smoother for everyone.",
        "Beyond the everyday tasks, I care about making work a good place to be. A kind "
        "word, a quick thank-you and a bit of patience go a long way, and I try to bring "
        "all three with me wherever I go.",
    ),
    closing=(
        "Thanks so much for reading my letter. I'd really love to chat about how I could "
        "help {company}, and I'm happy to share anything else that would be useful."
    ),
    signoff="Warm regards,",
)

_ENTHUSIASTIC = ToneSentences(
    opening=(
        "I was thrilled to come across {role} with {company}, and I am delighted to "
        "apply! This opportunity lines up wonderfully with what I love doing, and I "
        "would be excited to bring my energy and commitment to your team."
    ),
    skills="Even better, so much of what you are looking for is already part of my CV: {skills}!",
    focus=(
        "I am especially passionate about {focus}, and I can't wait to put that "
        "experience to work on your goals."
    ),
    no_skills=(
        "Our wording may not match word for word, but I am eager to show you what I can "
        "bring! Rather than stretch the truth, I would love to share how I work and why "
        "{role} excites me so much."
    ),
    years=(
        "With {years} of experience behind me, I am bursting with ideas and ready to hit "
        "the ground running."
    ),
    quote='One line from my CV captures my drive perfectly: "{quote}."',
    fillers=(
        "What excites me most about {role} is the chance to make a real difference. I "
        "love work that matters to people, and the goals in your description genuinely "
        "energise me. I would be proud to help {company} reach them.",
        "I bring energy and positivity to everything I do! I dive into challenges with a "
        "can-do attitude, celebrate the wins of the people around me, and stay upbeat "
        "when things get tough, because I believe enthusiasm is contagious and helps the "
        "whole team do its best work.",
        "In my first months I would throw myself into learning everything I can about "
        "{company}: your people, your goals and the way you work. I would be eager to "
        "take on tasks early, ask lots of questions, and start adding value as quickly "
        "as possible.",
        "I love learning, and I am always looking for ways to grow! Every new tool, "
        "process or challenge is a chance to get better, and I approach each one with "
        "curiosity and determination. I would bring that same hunger to learn to your "
        "team every single day.",
        "Above all, I am driven by a desire to do great work with great people. The "
        "prospect of contributing to your mission fills me with excitement, and I would "
        "give this opportunity everything I have.",
    ),
    closing=(
        "Thank you so much for considering my application! I would be absolutely "
        "delighted to talk about how I could contribute to {company}, and I am looking "
        "forward to hearing from you."
    ),
    signoff="With great enthusiasm,",
)

_FORMAL = ToneSentences(
    opening=(
        "I hereby submit my application for {role} with {company}. Having reviewed the "
        "published requirements with care, I respectfully submit that my background and "
        "conduct would be well suited to the responsibilities of this position."
    ),
    skills=(
        "I note that the advertised requirements include the following, each of which "
        "is documented in my curriculum vitae: {skills}."
    ),
    focus=(
        "I would draw your particular attention to my experience in {focus}, which "
        "corresponds closely to the duties described."
    ),
    no_skills=(
        "Whilst the terminology of the advertisement and that of my curriculum vitae do "
        "not correspond precisely, I shall not overstate my case. I shall instead set "
        "out the manner in which I conduct my work and my reasons for seeking {role}."
    ),
    years=(
        "My curriculum vitae records {years} of experience, during which I have sought "
        "to maintain a consistent standard of diligence."
    ),
    quote='I would refer you to the following statement from my curriculum vitae: "{quote}."',
    fillers=(
        "My interest in {role} arises from a sincere wish to contribute to an "
        "organisation of clear purpose and high standards. I hold that such work demands "
        "diligence, discretion and a proper regard for the interests of all concerned, "
        "and I would endeavour to uphold those principles at all times.",
        "In the conduct of my duties I place great importance upon accuracy, punctuality "
        "and the keeping of proper records. I seek clarification where instructions are "
        "ambiguous, I report progress and difficulties promptly, and I observe "
        "established procedures whilst remaining alert to opportunities to refine them.",
        "Upon appointment, I would devote my initial months to acquainting myself "
        "thoroughly with the policies, procedures and expectations of {company}. "
        "Thereafter, I would assume responsibility for assigned duties and seek regular "
        "guidance to ensure that my work met the required standard.",
        "I regard professional development as a continuing obligation. I undertake to "
        "keep my knowledge current, to reflect upon my own performance, and to receive "
        "guidance from colleagues and superiors with appropriate seriousness.",
        "I would further observe that I conduct myself with integrity in all "
        "professional dealings. I treat confidential matters with discretion, and I "
        "extend courtesy and respect to colleagues, clients and members of the public alike.",
    ),
    closing=(
        "I thank you for your consideration of this application. I should be grateful "
        "for the opportunity to discuss my suitability for the position with {company} "
        "at your convenience, and I remain at your disposal for any further information."
    ),
    signoff="Yours faithfully,",
)

_CONFIDENT = ToneSentences(
    opening=(
        "I am applying for {role} with {company} because I know I can deliver what you "
        "are looking for. I have read your description closely, and I am confident that "
        "my background makes me a strong hire for this position."
    ),
    skills="Your requirements and my CV line up on the essentials: {skills}.",
    focus=(
        "My work with {focus} is exactly the kind of experience that produces results in "
        "a position like this, and I am ready to apply it immediately."
    ),
    no_skills=(
        "Our descriptions use different terms, and I won't pretend otherwise. What I can "
        "promise is a clear, reliable way of working and a serious commitment to {role}, "
        "which I set out below."
    ),
    years="I bring {years} of experience, and I know how to turn that experience into results.",
    quote='My CV states it directly: "{quote}."',
    fillers=(
        "I want {role} because it is a chance to take real ownership and deliver work "
        "that matters. I set high standards for myself, and I am drawn to teams that "
        "expect a lot from their people. From your description, that is exactly what "
        "you expect.",
        "I take responsibility for outcomes, not just tasks. I set clear priorities, "
        "make decisions with the information available, and explain them plainly. When "
        "something goes wrong, I own it, fix it, and make sure the lesson sticks.",
        "In my first months, I will learn your priorities quickly, build strong working "
        "relationships, and take ownership of meaningful work as early as possible. You "
        "can expect steady, visible progress and honest updates along the way.",
        "I learn fast and I adapt fast. New tools and unfamiliar problems do not slow me "
        "down for long, because I go straight to the people and resources that can get "
        "me up to speed, and then I put what I learn to work.",
        "You will find that I am direct, dependable and easy to work with. I say what I "
        "will do, I do it, and I keep people informed. That is the standard I hold "
        "myself to, and it is the standard I would bring to {company}.",
    ),
    closing=(
        "I am confident that I would be a valuable addition to {company}. I would "
        "welcome the opportunity to discuss how I can contribute, and I look forward to "
        "speaking with you soon."
    ),
    signoff="Best regards,",
)

TONES: dict[str, ToneSentences] = {
    "PROFESSIONAL": _PROFESSIONAL,
    "FRIENDLY": _FRIENDLY,
    "ENTHUSIASTIC": _ENTHUSIASTIC,
    "FORMAL": _FORMAL,
    "CONFIDENT": _CONFIDENT,
}
TONE_NAMES: tuple[str, ...] = tuple(TONES)


def tone_named(name: str) -> ToneSentences:
    """The tone of that name (any case, spaces around); PROFESSIONAL for an unknown one."""
    return TONES.get(name.strip().upper(), _PROFESSIONAL)
