"""The offline writer's phrase banks, one per tone.

Slots use the template syntax: `{topic}` (`{Topic}` capitalised), `{site}`, `{first}`, `{name}`,
`{sender}`, `{orig}` (the original subject, in follow-ups). Only the `asks` contain a question mark,
so every email has exactly one question: its one clear ask. Formal text has no contractions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ToneBank:
    greet_named: tuple[str, ...]
    greet_anon: tuple[str, ...]
    open_site: tuple[str, ...]
    open_anon: tuple[str, ...]
    offers: tuple[str, ...]
    values: tuple[str, ...]
    asks: tuple[str, ...]
    courtesies: tuple[str, ...]
    closings: tuple[str, ...]
    subjects: tuple[str, ...]
    fu_refs: tuple[str, ...]
    fu_angles: tuple[str, ...]
    fu_asks: tuple[str, ...]
    fu_last: tuple[str, ...]


PROFESSIONAL = ToneBank(
    greet_named=("Hi {first},", "Hello {first},"),
    greet_anon=("Hello,", "Hi there,"),
    open_site=(
        "I have been reading {site} and appreciate how clearly your articles explain things.",
        "I came across {site} while researching {topic} and found your recent posts useful.",
        "Your site, {site}, stood out while I was looking for thoughtful writing on {topic}.",
        "I have followed {site} for a while and like the practical angle of your content.",
        "While researching {topic}, I kept landing on {site}, which says a lot about your work.",
    ),
    open_anon=(
        "I have been reading your site and appreciate how clearly your articles explain things.",
        "I came across your site while researching {topic} and found your recent posts useful.",
        "Your site stood out to me while I was looking for thoughtful writing on {topic}.",
    ),
    offers=(
        "I'm {sender}, and I would like to contribute an original article on {topic} "
        "for your readers.",
        "I would like to offer your audience a guest article on {topic}, written from scratch.",
        "I'm {sender}; I write about {topic} and would like to contribute a piece to your site.",
        "I have an idea for a guest article on {topic} that I think would suit your readers.",
    ),
    values=(
        "It would be practical and specific, with clear takeaways rather than generic advice.",
        "I can back it with examples and sources, and I am happy to follow your guidelines.",
        "The piece would be exclusive to you, with the angle tailored to your audience.",
        "I keep my articles concise and well structured, and I handle revisions quickly.",
        "It would complement what you already publish rather than repeat it.",
    ),
    asks=(
        "Would you be open to a guest post on {topic}?",
        "Would you consider publishing a piece like this?",
        "Could I send you two or three headline ideas to choose from?",
        "Would it help if I sent over a short outline for you to review?",
    ),
    courtesies=("Thank you for your time.", "Thanks for considering it.", ""),
    closings=("Best regards,", "Kind regards,", "Best,"),
    subjects=(
        "Guest article proposal: {topic}",
        "An article on {topic} for your readers",
        "Contributor pitch: {topic}",
        "Article idea on {topic}",
        "Proposal: a guest post on {topic}",
        "{Topic}: an original article for your site",
        "Collaboration idea: {topic}",
        "Guest post on {topic} for your audience",
    ),
    fu_refs=(
        'I wanted to follow up on my note about "{orig}".',
        'I am following up on my earlier email about "{orig}".',
        'Circling back on my message about "{orig}", in case it got buried.',
    ),
    fu_angles=(
        "If a full article is too much right now, I could start with a shorter, data-backed piece.",
        "I could also send a complete draft first, so you can judge the fit with no commitment.",
        "I would also be glad to refresh one of your existing posts with new examples instead.",
        "I could tie the piece to one of your most popular categories so it fits right in.",
    ),
    fu_asks=(
        "Would that be useful?",
        "Would that work for you?",
        "Shall I send it over?",
    ),
    fu_last=(
        "If it is not a fit, no problem; I will not follow up again.",
        "If now is not the right time, I understand and will leave it here.",
    ),
)

FRIENDLY = ToneBank(
    greet_named=("Hi {first},", "Hey {first},", "Hi {first}, hope you're well."),
    greet_anon=("Hi there,", "Hello there,"),
    open_site=(
        "I've really been enjoying {site}, and your posts always feel genuinely helpful.",
        "I stumbled on {site} while digging into {topic}, and I've been reading ever since.",
        "I love the way {site} makes {topic} feel approachable.",
        "Your articles on {site} have become one of my go-to reads.",
        "I found {site} while reading up on {topic} and really liked your style.",
    ),
    open_anon=(
        "I've really been enjoying your site, and your posts always feel genuinely helpful.",
        "I stumbled on your site while digging into {topic}, and I've been reading ever since.",
        "I love how approachable your writing makes {topic} feel.",
    ),
    offers=(
        "I'm {sender}, and I'd love to write a fresh guest post on {topic} for your readers.",
        "I'd love to put together an original piece on {topic} just for your audience.",
        "I've got an idea for a guest post on {topic} that I think your readers would enjoy.",
        "I write about {topic} a lot, and I'd be happy to contribute something new for you.",
    ),
    values=(
        "I'd keep it practical and friendly, with tips people can use straight away.",
        "It'd be written from scratch for your readers, and I'm easy to work with on edits.",
        "I'd make sure it fits your voice and adds something you haven't covered yet.",
        "I'm happy to include examples, visuals or a checklist, whatever suits you best.",
        "It would be all original and tailored to the people who read your site.",
    ),
    asks=(
        "Would you be up for a guest post on {topic}?",
        "Does that sound like something your readers would enjoy?",
        "Would you like me to send over a few title ideas?",
        "Could I share a quick outline with you?",
    ),
    courtesies=("Thanks so much for reading.", "Thanks a lot for your time.", ""),
    closings=("Cheers,", "Thanks,", "Warm wishes,", "All the best,"),
    subjects=(
        "An idea for your readers: {topic}",
        "Would your readers like a piece on {topic}?",
        "A fresh take on {topic} for you",
        "Happy to write about {topic} for you",
        "A piece on {topic}, just for your readers",
        "Guest post idea: {topic}",
        "Quick idea about {topic}",
        "Loved your site, here's an idea on {topic}",
    ),
    fu_refs=(
        'Just following up on my note about "{orig}".',
        'I wanted to check in about my earlier email, "{orig}".',
        'Popping back into your inbox about "{orig}".',
    ),
    fu_angles=(
        "If it helps, I could write a shorter piece first and see how your readers like it.",
        "I'd be just as happy to send a full draft, so you can see if it fits.",
        "I could also tailor it to whatever your readers have been asking about lately.",
        "If a new post isn't a fit, I could refresh one of your older articles instead.",
    ),
    fu_asks=(
        "Would that be helpful?",
        "Does that sound good?",
        "Want me to send it over?",
    ),
    fu_last=(
        "No worries at all if it's not a fit; this is my last note.",
        "Totally understand if the timing is wrong, so I'll leave it here.",
    ),
)

CASUAL = ToneBank(
    greet_named=("Hey {first},", "Hi {first},"),
    greet_anon=("Hey there,", "Hi,"),
    open_site=(
        "Been reading {site} lately, and I like what you're doing.",
        "Found {site} while looking into {topic}. Good stuff.",
        "I've been checking out {site} and really dig your take on things.",
        "I keep finding {site} when I search for {topic}, so here I am.",
        "Big fan of {site}, especially the no-fluff posts.",
    ),
    open_anon=(
        "Been reading your site lately, and I like what you're doing.",
        "Found your site while looking into {topic}. Good stuff.",
        "Your site keeps popping up when I search for {topic}, so here I am.",
    ),
    offers=(
        "I'm {sender}, and I'd like to write a guest post on {topic} for you.",
        "I've got a post idea on {topic} that'd fit your site nicely.",
        "I write about {topic} and would be up for doing a piece for your readers.",
        "Thinking a guest post on {topic} could work well for your audience.",
    ),
    values=(
        "Original, to the point, and written for your readers.",
        "I'll keep it short, useful, and easy to edit.",
        "No fluff, just practical stuff people can use.",
        "Happy to match your style and tweak it however you like.",
        "Fresh content, nothing recycled.",
    ),
    asks=(
        "Up for a guest post on {topic}?",
        "Interested?",
        "Want me to send a few title ideas?",
        "Should I send over a quick outline?",
    ),
    courtesies=("Thanks!", "Appreciate it.", ""),
    closings=("Cheers,", "Thanks,", "Talk soon,"),
    subjects=(
        "{Topic} post idea",
        "Quick one: {topic}",
        "Got an idea about {topic} for you",
        "Idea: {topic}",
        "{Topic} piece for your blog",
        "A quick pitch: {topic}",
        "Guest post? {topic}",
        "Thought of you: {topic}",
    ),
    fu_refs=(
        'Bumping my note about "{orig}".',
        'Quick nudge on "{orig}".',
        'Following up on "{orig}".',
    ),
    fu_angles=(
        "Could do a shorter piece first if that's easier.",
        "Happy to just send a full draft so you can see it.",
        "Could also update one of your older posts instead of a new one.",
        "I can angle it toward whatever your readers like most.",
    ),
    fu_asks=("Worth a shot?", "Sound good?", "Want it?"),
    fu_last=("No worries if not, last nudge from me.", "If it's a no, all good, I'll drop it."),
)

FORMAL = ToneBank(
    greet_named=("Dear {name},",),
    greet_anon=("Dear Editor,", "Dear Sir or Madam,"),
    open_site=(
        "I have been reading {site} with interest and value the quality of its content.",
        "I came across {site} while researching {topic} and was impressed by its standard.",
        "Your publication, {site}, has been a valuable reference in my work on {topic}.",
        "I have followed {site} for some time and admire the care taken with each article.",
        "In my view, {site} is one of the more authoritative resources on {topic}.",
    ),
    open_anon=(
        "I have been reading your publication with interest and value its content.",
        "I came across your publication while researching {topic}.",
        "Your publication has been a valuable reference in my work on {topic}.",
    ),
    offers=(
        "My name is {sender}, and I would like to propose an original article on {topic} "
        "for your readers.",
        "I am writing to propose a guest contribution on {topic}, prepared exclusively "
        "for your publication.",
        "I would be pleased to contribute a well-researched article on {topic}.",
        "I am {sender}, and I would like to offer an original contribution on {topic}.",
    ),
    values=(
        "The article would be thoroughly researched, properly sourced, and written to your "
        "editorial standards.",
        "It would be original, unpublished elsewhere, and prepared in accordance with your "
        "guidelines.",
        "I would welcome any editorial direction you may wish to provide.",
        "The piece would offer your readers practical insight supported by evidence.",
        "I would be glad to adapt its scope and length to suit your publication.",
    ),
    asks=(
        "Would you be willing to consider a guest contribution on {topic}?",
        "Would such a contribution be of interest to you?",
        "May I submit a brief outline for your consideration?",
        "Would you permit me to send several proposed titles for your review?",
    ),
    courtesies=("Thank you for your time and consideration.", "I look forward to your reply."),
    closings=("Yours sincerely,", "Kind regards,", "With kind regards,"),
    subjects=(
        "Proposal for a guest contribution on {topic}",
        "Guest contribution: {topic}",
        "Editorial proposal regarding {topic}",
        "Request to contribute an article on {topic}",
        "Submission enquiry: {topic}",
        "Offer of an original article on {topic}",
        "Article proposal: {topic}",
        "Contribution proposal on {topic}",
    ),
    fu_refs=(
        'I am writing to follow up on my previous message regarding "{orig}".',
        'I wished to follow up on my earlier correspondence concerning "{orig}".',
    ),
    fu_angles=(
        "Should a full article not suit your schedule, I would be pleased to offer a "
        "shorter piece.",
        "I would be glad to provide a complete draft for your assessment, without obligation.",
        "Alternatively, I could revise one of your existing articles with current material.",
        "I could also align the piece with a subject your readers have shown interest in.",
    ),
    fu_asks=(
        "Would this be of interest to you?",
        "May I send it for your review?",
        "Would you be willing to consider this?",
    ),
    fu_last=(
        "Should this not be of interest, I shall not write again on this matter.",
        "I appreciate that your time is limited and will not follow up further.",
    ),
)

BANKS: dict[str, ToneBank] = {
    "professional": PROFESSIONAL,
    "friendly": FRIENDLY,
    "casual": CASUAL,
    "formal": FORMAL,
}
TONES: tuple[str, ...] = tuple(BANKS)
