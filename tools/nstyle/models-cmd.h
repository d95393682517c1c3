/* nstyle models: list, install and verify model files (models-cmd.c). */
#ifndef NSTYLE_MODELS_CMD_H
#define NSTYLE_MODELS_CMD_H

/* Runs `nstyle models ARGS...` (ARGV[0] is "models"); returns the exit
 * code. */
int nst_models_main (int argc, char **argv);

#endif
