/* envkeep.h -- what envkeep-lib.c keeps for envkeep.c */
#define ENVKEEP_MAX 8
extern const char *envkeep_kept[ENVKEEP_MAX];
