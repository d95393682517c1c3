#!/usr/bin/python3
"""Checks that the README's "Troubleshooting" section covers every message
the plug-in, its dialog and the model installer can show:
  check-messages.py [--self-test] [README.md]
Messages are the translatable strings _("...") that reach the user:
passed to g_set_error, g_message, gimp_message, the procedure's fail (),
the dialog's status label (set_status, gtk_label_set_text), the download
bar's title, or stored in a `why` explanation; and strings formatted into
a variable that is then passed to one of those.  They are read from
plugin/*.c, ui/*.c and tools/models/*.c (the installer, whose errors the
dialog shows after "Download failed:").
A message is covered when its distinctive text appears in the section
(case, Markdown emphasis, code quotes and line breaks ignored): the
first literal run of 4 words or more between its printf conversions
(else its longest run), cut to 8 words; a message whose runs are all
shorter than 3 words must appear whole (but for the conversions at its
ends), any text standing for each conversion.  INFO lists the texts that
are no problem to solve (progress, success) and FRAGMENTS the texts
inserted into other messages; both must still exist in the sources.
--self-test also removes each table row of the section in turn and
checks that this is caught (the check can fail).
Exit 1 with one line per problem."""
import glob
import os
import re
import sys

SOURCES = ('plugin/*.c', 'ui/*.c', 'tools/models/*.c')

# Shown in the status line, but nothing to troubleshoot.
INFO = {
    'Computing the preview…',
    'Optimising… (the preview updates as it goes)',
    'Approximate preview; refining…',
    'Preview %d × %d, %.0f ms',
    'The %s model is installed.',
}
# Inserted into another message (a list that is empty).
FRAGMENTS = {
    '(none installed)',
}

SINK = re.compile(
    r'\b(g_set_error|g_set_error_literal|g_message|gimp_message|g_warning|'
    r'fail|set_status|gtk_label_set_text|g_markup_printf_escaped)\s*\(')
WHY = re.compile(r'(\*\s*why|->why|\bwhy)\s*=[^=]')
FORMATTED = re.compile(r'\b([A-Za-z_]\w*)\s*=\s*g_strdup_printf\s*\(')
CONV = re.compile(r'%[-+ #0]*(?:\d+|\*)?(?:\.(?:\d+|\*))?'
                  r'(?:hh|h|ll|l|j|z|t|L)?[diouxXeEfFgGcsp]')
ESCAPES = {'n': '\n', 't': '\t', '"': '"', '\\': '\\', "'": "'"}


def statements(text):
    """Splits C source into statements: (text with string contents
    blanked, [(msgid, offset)]) per statement, comments removed."""
    out, cur, blank = [], [], []
    i, n, depth = 0, len(text), 0
    while i < n:
        c = text[i]
        if text.startswith('/*', i):
            j = text.find('*/', i + 2)
            i = n if j < 0 else j + 2
            continue
        if text.startswith('//', i):
            j = text.find('\n', i)
            i = n if j < 0 else j
            continue
        if c == '"' or c == "'":
            j, s = i + 1, []
            while j < n and text[j] != c:
                if text[j] == '\\' and j + 1 < n:
                    s.append(ESCAPES.get(text[j + 1], text[j + 1]))
                    j += 2
                    continue
                s.append(text[j])
                j += 1
            cur.append((c, ''.join(s), i))
            blank.append(c + c)
            i = j + 1
            continue
        if c in '{}' or (c == ';' and depth == 0):
            out.append(finish(cur, blank))
            cur, blank = [], []
            i += 1
            continue
        blank.append(c)
        cur.append(c)
        if c in '([':
            depth += 1
        elif c in ')]':
            depth = max(0, depth - 1)
        i += 1
    out.append(finish(cur, blank))
    return out


def finish(cur, blank):
    """Collects the _("..." "...") and N_("...") strings of a statement."""
    msgs, k = [], 0
    while k < len(cur):
        tok = cur[k]
        prev = cur[k - 1] if k else ' '
        if tok == '_' and (not _ident(prev) or
                           (prev == 'N' and (k < 2 or not _ident(cur[k - 2])))):
            j = k + 1
            while j < len(cur) and cur[j] in (' ', '\n', '\t'):
                j += 1
            if j < len(cur) and cur[j] == '(':
                j += 1
                parts, where = [], None
                while j < len(cur) and (not isinstance(cur[j], str) or
                                        cur[j] in (' ', '\n', '\t')):
                    if isinstance(cur[j], tuple) and cur[j][0] == '"':
                        parts.append(cur[j][1])
                        where = where if where is not None else cur[j][2]
                    j += 1
                if parts:
                    msgs.append((''.join(parts), where))
                k = j
                continue
        k += 1
    return ''.join(blank), msgs


def _ident(tok):
    return isinstance(tok, str) and (tok.isalnum() or tok == '_')


def messages(root):
    """[(file, line, msgid)] of the messages that reach the user."""
    found = []
    for pattern in SOURCES:
        for path in sorted(glob.glob(os.path.join(root, pattern))):
            with open(path, encoding='utf-8') as f:
                text = f.read()
            stmts = statements(text)
            for k, (code, msgs) in enumerate(stmts):
                if not msgs:
                    continue
                shown = SINK.search(code) or WHY.search(code)
                m = FORMATTED.search(code)
                if not shown and m:
                    # A formatted variable handed to a sink before it is freed.
                    var = re.compile(r'\b%s\b' % re.escape(m.group(1)))
                    for later, _ in stmts[k + 1:k + 12]:
                        if SINK.search(later) and var.search(later):
                            shown = True
                            break
                        if re.search(r'g_free\s*\(\s*%s\s*\)'
                                     % re.escape(m.group(1)), later):
                            break
                if shown:
                    for msgid, where in msgs:
                        line = text.count('\n', 0, where) + 1
                        found.append((os.path.relpath(path, root), line, msgid))
    return found


def normalise(text, strip=True):
    text = text.replace('“', '"').replace('”', '"').replace('’', "'")
    text = text.replace('...', '…').replace('\\|', '|')
    text = re.sub(r'[`*]', '', text)
    text = re.sub(r'\s+', ' ', text).lower()
    return text.strip() if strip else text


EDGE = ' :;,.()"\'/'


def needle(msgid):
    """A regex for the message's distinctive text: its first literal run
    of 4 words or more (else its longest), at most 8 words; or, when that
    is shorter than 3 words, the whole message without the conversions at
    its ends, any text standing for the others."""
    pieces = CONV.split(msgid)
    runs = [normalise(r).strip(EDGE) for r in pieces]
    long_runs = [r for r in runs if len(r.split()) >= 4]
    best = long_runs[0] if long_runs else max(runs, key=len)
    if len(best.split()) >= 3:
        return re.escape(' '.join(best.split()[:8]).strip(EDGE))
    parts = [re.escape(normalise(r, strip=False)) for r in pieces]
    while parts and not parts[0].strip(EDGE + '\\'):
        parts.pop(0)
    while parts and not parts[-1].strip(EDGE + '\\'):
        parts.pop()
    if not parts:
        return re.escape(normalise(msgid))
    parts[0] = parts[0].lstrip(EDGE + '\\')
    parts[-1] = parts[-1].rstrip(EDGE + '\\')
    return r'.{0,100}?'.join(parts)


def section(readme):
    """The text of the level-2 "Troubleshooting" section."""
    with open(readme, encoding='utf-8') as f:
        lines = f.read().split('\n')
    start = next((i for i, l in enumerate(lines)
                  if l.strip() == '## Troubleshooting'), None)
    if start is None:
        return None
    end = next((i for i in range(start + 1, len(lines))
                if lines[i].startswith('## ')), len(lines))
    return lines[start:end]


def check(found, sec_lines):
    text = normalise('\n'.join(sec_lines))
    problems = []
    for path, line, msgid in found:
        if msgid in INFO or msgid in FRAGMENTS:
            continue
        if not re.search(needle(msgid), text):
            problems.append('%s:%d: not in README "Troubleshooting": "%s"'
                            % (path, line, msgid.replace('\n', '\\n')))
    return problems


def main():
    args = sys.argv[1:]
    self_test = '--self-test' in args
    args = [a for a in args if a != '--self-test']
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, '..', '..'))
    readme = args[0] if args else os.path.join(root, 'README.md')
    sec = section(readme)
    if sec is None:
        print('%s: no "## Troubleshooting" section' % readme)
        return 1
    found = messages(root)
    ids = {m for _, _, m in found}
    problems = check(found, sec)
    for stale in sorted((INFO | FRAGMENTS) - ids):
        problems.append('check-messages.py: INFO/FRAGMENTS names "%s", which no '
                        'source shows any more' % stale)
    if len(ids) < 20:
        problems.append('only %d messages found in %s: the extraction is broken'
                        % (len(ids), ', '.join(SOURCES)))
    if self_test and not problems:
        rows = [i for i, l in enumerate(sec)
                if l.startswith('|') and not re.match(r'^\|[-| ]*\|$', l) and
                i > 0 and sec[i - 1].startswith('|')]
        caught = 0
        for i in rows:
            if check(found, sec[:i] + sec[i + 1:]):
                caught += 1
        if not rows or caught == 0:
            problems.append('self-test: removing a table row of "Troubleshooting" '
                            'is never caught')
        else:
            print('self-test: removing a row is caught for %d of the %d table '
                  'rows (the others: engine or nstyle messages, or text found '
                  'elsewhere too)' % (caught, len(rows)))
    for p in problems:
        print(p)
    print('%s: %d messages from %s, %d problems'
          % (os.path.relpath(readme), len(ids), ' '.join(SOURCES), len(problems)))
    return 1 if problems else 0


sys.exit(main())
