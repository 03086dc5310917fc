// GNU readline (Debian: libreadline-dev).
#include <stdio.h>
#include <readline/readline.h>
#include <readline/history.h>

/// Installs a completion hook that offers the given generator's matches and never falls back
/// to file names.
typedef char *(*ritz_rl_generator)(const char *, int);
static inline ritz_rl_generator *ritz_rl_generator_slot(void) {
    static ritz_rl_generator generator;
    return &generator;
}
static inline char **ritz_rl_attempted(const char *text, int start, int end) {
    (void)start; (void)end;
    rl_attempted_completion_over = 1;
    return rl_completion_matches(text, *ritz_rl_generator_slot());
}
static inline void ritz_rl_install_completion(ritz_rl_generator g) {
    *ritz_rl_generator_slot() = g;
    rl_attempted_completion_function = ritz_rl_attempted;
    rl_basic_word_break_characters = " \t\n\"\\'`@$><=;|&{(,[+-*/^%";
}
/// Clears the line being edited after Ctrl-C and shows a fresh prompt.
static inline void ritz_rl_reset_line(void) {
    rl_free_line_state();
    rl_replace_line("", 0);
    rl_crlf();
    rl_on_new_line();
    rl_redisplay();
}
static inline void ritz_rl_set_catch_signals(int on) { rl_catch_signals = on; }
