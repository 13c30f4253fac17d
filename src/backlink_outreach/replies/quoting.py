"""The new text of a reply: quoted history, forwarded parts and signatures removed.

Intent rules read only what the person just wrote; our own pitch quoted below their answer
("... reply STOP to unsubscribe", "we'd love to be interested") must not decide anything.
"""

from __future__ import annotations

import re

# A line that starts the quoted history, in the clients and languages we meet.
HISTORY_START_RE = re.compile(
    r"^\s*("
    r"on\b.{0,200}\bwrote:?|"  # Gmail, Apple Mail (may wrap: handled below)
    r"am\b.{0,200}\bschrieb.{0,80}:|"
    r"le\b.{0,200}\ba écrit\s*:|"
    r"el\b.{0,200}\bescribió\s*:|"
    r"il giorno\b.{0,200}\bha scritto\s*:|.{0,200}\bha scritto\s*:|"
    r"op\b.{0,200}\bschreef.{0,80}:|"
    r"em\b.{0,200}\bescreveu\s*:|"
    r"-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|"
    r"messaggio originale|oorspronkelijk bericht|mensagem original)\s*-{2,}|"
    r"-{2,}\s*forwarded message\s*-{2,}|begin forwarded message:|"
    r"-{5,}\s*weitergeleitete nachricht|_{10,}|"
    r"(from|von|de|da|van|from:)\s*:.{0,200}$"
    r")",
    re.I,
)
OUTLOOK_HEADER_RE = re.compile(r"^\s*(from|von|de|da|van|enviado|sent|gesendet)\s*:", re.I)
SIGNATURE_RE = re.compile(
    r"^\s*(--\s*|—\s*|"
    r"(best|kind|warm)?\s*regards,?|cheers,?|thanks?( you)?( so much)?,?|many thanks,?|"
    r"best( wishes)?,?|sincerely,?|yours( truly| sincerely)?,?|"
    r"mit freundlichen grüßen,?|viele grüße,?|beste grüße,?|liebe grüße,?|grüße,?|"
    r"cordialement,?|bien à vous,?|bien cordialement,?|"
    r"saludos( cordiales)?,?|un saludo,?|atentamente,?|"
    r"cordiali saluti,?|distinti saluti,?|saluti,?|"
    r"met vriendelijke groet(en)?,?|groeten,?|"
    r"atenciosamente,?|cumprimentos,?|abraços?,?|"
    r"sent from my \w+.*|envoyé de mon \w+.*|von meinem \w+ gesendet.*|enviado desde mi .*)\s*$",
    re.I,
)


def new_text(text: str) -> str:
    """The part of `text` above any quoted history, forward or signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith(">"):
            # Quoted lines are skipped, and the history they start is usually all that follows.
            if _rest_is_quoted(lines[index:]):
                break
            continue
        if (
            HISTORY_START_RE.match(line)
            and (kept or index > 0)
            and (not OUTLOOK_HEADER_RE.match(line) or _looks_like_header_block(lines[index:]))
        ):
            break
        joined = (line + " " + lines[index + 1]) if index + 1 < len(lines) else line
        if re.match(r"^\s*(on|am|le|el|op|em)\b", line, re.I) and re.search(
            r"(wrote|schrieb|a écrit|escribió|schreef|escreveu)\s*:\s*$", joined, re.I
        ):
            break
        if kept and SIGNATURE_RE.match(line) and _signature_tail(lines[index + 1 :]):
            # Keep the sign-off words out too: "Thanks," is not an intent.
            break
        kept.append(line)
    return "\n".join(kept).strip()


def _rest_is_quoted(lines: list[str]) -> bool:
    content = [ln for ln in lines if ln.strip()]
    quoted = [ln for ln in content if ln.strip().startswith(">")]
    return len(quoted) >= max(1, int(len(content) * 0.6))


def _looks_like_header_block(lines: list[str]) -> bool:
    """Outlook's history: From:, Sent:, To:, Subject: lines in a row."""
    head = [ln for ln in lines[:6] if ln.strip()]
    matches = sum(
        1
        for ln in head
        if re.match(
            r"^\s*(from|sent|to|cc|subject|date|von|gesendet|an|betreff|de|envoyé|à|objet|"
            r"enviado|para|asunto|da|inviato|oggetto|van|verzonden|aan|onderwerp|assunto)\s*:",
            ln,
            re.I,
        )
    )
    return matches >= 2


def _signature_tail(rest: list[str]) -> bool:
    """A sign-off is followed by a few short lines (name, title, phone), not by paragraphs."""
    content = [ln for ln in rest if ln.strip()]
    if len(content) > 12:
        # A long tail is either quoted history (cut anyway) or more message: look at its shape.
        return any(HISTORY_START_RE.match(ln) or ln.strip().startswith(">") for ln in content)
    return all(len(ln.strip()) < 90 for ln in content[:6])
