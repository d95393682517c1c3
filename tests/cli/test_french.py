#!/usr/bin/python3
"""nstyle in French (issue 13): with a French catalogue (built here from
po/fr.po, found through $NS_LOCALEDIR) and LANGUAGE=fr, --help, a usage
error, a missing model, `nstyle models --help` (the installer's
commands) and an engine message (a damaged fast style's graph, made in
engine/io/ncnn.c) speak French, with the same exit codes; without the catalogue
the same commands speak English."""
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clitest as T  # noqa: E402

import numpy as np  # noqa: E402


def main():
    exe = T.nstyle_path()
    root = os.environ.get('NS_SOURCE_ROOT')
    msgfmt = shutil.which('msgfmt')
    if not root or not msgfmt:
        print('SKIP: needs NS_SOURCE_ROOT and msgfmt')
        sys.exit(77)
    tmp = T.tmpdir()
    locale_dir = os.path.join(tmp, 'locale')
    os.makedirs(os.path.join(locale_dir, 'fr', 'LC_MESSAGES'))
    subprocess.run([msgfmt, os.path.join(root, 'po', 'fr.po'), '-o',
                    os.path.join(locale_dir, 'fr', 'LC_MESSAGES',
                                 'gimp-neural-style.mo')], check=True)

    env = T.clean_env(tmp)
    for k in ('LC_ALL', 'LC_MESSAGES', 'LANG', 'LANGUAGE'):
        env.pop(k, None)
    # GNU gettext follows LANGUAGE only outside the C locale: C.UTF-8 is
    # always there, fr_FR.UTF-8 may not be generated.
    env['LANG'] = 'C.UTF-8'
    env['LANGUAGE'] = 'fr'
    english = dict(env)
    english['NS_LOCALEDIR'] = os.path.join(tmp, 'no-catalogue-here')
    french = dict(env)
    french['NS_LOCALEDIR'] = locale_dir

    content = os.path.join(tmp, 'content.png')
    style = os.path.join(tmp, 'style.png')
    yy, xx = np.mgrid[0:48, 0:64] / 64.0
    T.save(content, np.stack([xx, yy, 0.5 + 0 * xx], -1))
    T.save(style, np.stack([yy, 1 - xx, xx * yy], -1))
    out = os.path.join(tmp, 'out.png')
    no_model = os.path.join(tmp, 'no-such-model')
    # A fast style whose graph declares more layers than it has.
    damaged = os.path.join(tmp, 'damaged-style')
    os.makedirs(damaged)
    with open(os.path.join(damaged, 'transformer.param'), 'w') as f:
        f.write('7767517\n3 3\nInput data 0 1 data\n')
    with open(os.path.join(damaged, 'candy.bin'), 'wb') as f:
        f.write(b'\0' * 4)

    cases = [
        ('--help', ['--help'], 0,
         ['Content image (PNG, JPEG or TIFF)', 'EXIT STATUS',
          'Same as --strength', 'default 512'],
         ['Image de contenu (PNG, JPEG ou TIFF)', 'CODE DE SORTIE',
          'Comme --strength', 'par défaut 512']),
        ('models --help', ['models', '--help'], 0,
         ['list|install|verify [KIND] - model files',
          'the kinds of model, their size, licence and state',
          'A kind is installed completely or not at all.',
          'Exit status: 0 success, 2 usage',
          'Models folder (default:'],
         ['list|install|verify [KIND] - fichiers de modèle',
          'les types de modèle, leur taille, leur licence et',
          'Un type est installé entièrement ou pas du tout.',
          "Code de sortie : 0 succès, 2 erreur d'utilisation",
          'Dossier des modèles (par défaut']),
        ('--help-gatys', ['--help-gatys'], 0,
         ['Gatys optimisation (--method gatys):'],
         ['Optimisation de Gatys (--method gatys) :']),
        ('missing -c', ['-s', style, '-o', out], 2,
         ['missing the content image (-c FILE)',
          "Try 'nstyle --help' for more information."],
         ["il manque l'image de contenu (-c FILE)",
          'Essayez « nstyle --help » pour plus']),
        ('bad number', ['-c', content, '-s', style, '-o', out,
                        '--size', 'abc'], 2,
         ["--size: 'abc' is not a whole number"],
         ['--size : « abc » n\'est pas un nombre entier']),
        ('missing model', ['-c', content, '-s', style, '-o', out, '-q',
                           '--model', no_model], 4,
         ['nstyle: model folder %s does not exist' % no_model],
         ["nstyle : le dossier de modèle %s n'existe pas" % no_model]),
        ('engine message', ['-c', content, '--fast-style', 'candy', '-o',
                            out, '-q', '--model', damaged], 4,
         ['1 layers and 1 blobs, the header declares 3 and 3'],
         ["1 couches et 1 blobs, alors que l'en-tête en déclare 3 et 3"]),
    ]
    for what, args, code, en_words, fr_words in cases:
        for lang, env_, words, others in (('English', english, en_words,
                                           fr_words),
                                          ('French', french, fr_words,
                                           en_words)):
            rc, so, se = T.run(exe, args, env_)
            text = so + se
            ok = T.check(rc == code, '%s (%s): exit %d (got %d)'
                         % (what, lang, code, rc))
            for w in words:
                ok &= T.check(w in text, '%s (%s): shows %r' % (what, lang, w))
            for w in others:
                ok &= T.check(w not in text,
                              '%s (%s): does not show %r' % (what, lang, w))
            if not ok:
                print('  output: ' + text.strip().replace('\n', '\n          '))
            T.check(not os.path.exists(out), what + ': no output file')
    sys.exit(T.finish('french'))


if __name__ == '__main__':
    main()
