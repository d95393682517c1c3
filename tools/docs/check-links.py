#!/usr/bin/python3
"""Checks a Markdown file (default README.md at the top of the tree):
  check-links.py [FILE.md]
- every relative link and image ([..](path), ![..](path)) names an existing
  file or folder, relative to the Markdown file;
- every #anchor (alone or after a path to a .md file) matches a heading,
  slugged as GitHub does;
- images under docs/images are PNG files of at most 200 KB;
- one level-1 heading, first, and no heading skips a level.
Links inside fenced code blocks and inline code are ignored; http(s) and
mailto links are not fetched.  Exit 1 with one line per problem."""
import os
import re
import sys

MAX_IMAGE = 200 * 1024


def slug(text):
    text = re.sub(r'`([^`]*)`', r'\1', text.strip().lower())
    text = re.sub(r'[^\w\- ]', '', text)
    return text.replace(' ', '-')


def parse(path):
    """(headings [(level, text, line)], links [(target, is_image, line)])"""
    heads, links, fence = [], [], False
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if line.lstrip().startswith('```'):
                fence = not fence
                continue
            if fence:
                continue
            m = re.match(r'^(#{1,6}) (.*?)\s*#*\s*$', line)
            if m:
                heads.append((len(m.group(1)), m.group(2), n))
            code_free = re.sub(r'`[^`]*`', '', line)
            for m in re.finditer(r'(!?)\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)', code_free):
                links.append((m.group(2), m.group(1) == '!', n))
    return heads, links


def anchors(heads):
    seen, out = {}, set()
    for _, text, _ in heads:
        s = slug(text)
        k = seen.get(s, 0)
        seen[s] = k + 1
        out.add(s if k == 0 else '%s-%d' % (s, k))
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    md = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', 'README.md')
    md = os.path.normpath(md)
    base = os.path.dirname(md)
    heads, links = parse(md)
    problems = []
    if not heads or heads[0][0] != 1 or sum(1 for h in heads if h[0] == 1) != 1:
        problems.append('%s: expected exactly one level-1 heading, first' % md)
    for (l0, _, _), (l1, text, n) in zip(heads, heads[1:]):
        if l1 > l0 + 1:
            problems.append('%s:%d: heading "%s" skips a level (%d after %d)'
                            % (md, n, text, l1, l0))
    own = anchors(heads)
    checked = 0
    for target, image, n in links:
        if re.match(r'^[a-z][a-z0-9+.-]*:', target):
            continue
        checked += 1
        path, _, frag = target.partition('#')
        if path:
            full = os.path.normpath(os.path.join(base, path))
            if not os.path.exists(full):
                problems.append('%s:%d: %s does not exist' % (md, n, path))
                continue
            if image and '/docs/images/' in '/' + os.path.relpath(full, base):
                size = os.path.getsize(full)
                if not full.endswith('.png'):
                    problems.append('%s:%d: %s is not a PNG' % (md, n, path))
                if size > MAX_IMAGE:
                    problems.append('%s:%d: %s is %d bytes (max %d)'
                                    % (md, n, path, size, MAX_IMAGE))
            if frag and full.endswith('.md') and frag not in anchors(parse(full)[0]):
                problems.append('%s:%d: no heading #%s in %s' % (md, n, frag, path))
        elif frag not in own:
            problems.append('%s:%d: no heading for #%s' % (md, n, frag))
    for p in problems:
        print(p)
    print('%s: %d headings, %d relative links checked, %d problems'
          % (os.path.relpath(md), len(heads), checked, len(problems)))
    return 1 if problems else 0


sys.exit(main())
