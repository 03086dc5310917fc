// ncursesw (Debian: libncurses-dev). SwiftPM drops pkg-config -D flags, so the wide-character
// switches are defined here, before the header. Macros that Swift cannot import are wrapped in
// static inline functions.
#ifndef RITZ_CNCURSES_SHIM_H
#define RITZ_CNCURSES_SHIM_H
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <locale.h>
#include <langinfo.h>
#include <wchar.h>
#include <ncursesw/ncurses.h>

static inline int ritz_lines(void) { return LINES; }
static inline int ritz_cols(void) { return COLS; }
static inline WINDOW *ritz_stdscr(void) { return stdscr; }
static inline int ritz_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int ritz_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline attr_t ritz_a_bold(void) { return A_BOLD; }
static inline attr_t ritz_a_dim(void) { return A_DIM; }
static inline attr_t ritz_a_reverse(void) { return A_REVERSE; }
static inline attr_t ritz_a_underline(void) { return A_UNDERLINE; }
static inline attr_t ritz_a_italic(void) { return A_ITALIC; }
static inline attr_t ritz_a_normal(void) { return A_NORMAL; }
static inline attr_t ritz_color_pair(int n) { return COLOR_PAIR(n); }
static inline int ritz_key_f(int n) { return KEY_F(n); }
static inline chtype ritz_acs_hline(void) { return ACS_HLINE; }
static inline chtype ritz_acs_vline(void) { return ACS_VLINE; }
static inline int ritz_key_resize(void) { return KEY_RESIZE; }
static inline int ritz_key_code_yes(void) { return KEY_CODE_YES; }
/// Sets a window's attributes and colour pair in one call (wattrset is a macro).
static inline int ritz_wattrset(WINDOW *w, attr_t a, int pair) { return wattrset(w, (int)(a | COLOR_PAIR(pair))); }
/// Writes a run of wide characters at a position (the wide-string macro forms do not import).
static inline int ritz_mvwaddnwstr(WINDOW *w, int y, int x, const wchar_t *s, int n) { return mvwaddnwstr(w, y, x, s, n); }
/// terminfo read without initialising the screen (declared here: <term.h> defines macros such
/// as `lines` and `columns` that would clash). Each query below frees the entry it read, so
/// asking about several types before the screen opens leaves nothing behind.
int setupterm(const char *term, int filedes, int *errret);
struct term;
extern struct term *cur_term;
int del_curterm(struct term *);
/// Colours the terminal type `term` declares in terminfo (-1 when it has no colour or no entry).
static inline int ritz_terminfo_colors(const char *term) {
    int err = 0;
    if (setupterm(term, 1, &err) != 0) return -1;
    int colors = tigetnum("colors");
    del_curterm(cur_term);
    return colors;
}
/// Whether terminfo has an entry for `term` (1 when it can also move the cursor, which the
/// notebook draws with; 0 for one that cannot, such as `dumb`; -1 when there is no entry).
static inline int ritz_terminfo_can_draw(const char *term) {
    int err = 0;
    if (setupterm(term, 1, &err) != 0) return -1;
    const char *cup = tigetstr("cup");
    int can = (cup != NULL && cup != (const char *)-1 && cup[0] != 0) ? 1 : 0;
    del_curterm(cur_term);
    return can;
}
/// A screen for the terminal type `term` on standard output and input; NULL when it cannot be
/// made (initscr would print to stderr and exit the process instead).
static inline SCREEN *ritz_newterm(const char *term) { return newterm(term, stdout, stdin); }
/// The key code curses decodes the terminfo string capability `name` to (`"kUP3"`, Alt-Up), or
/// 0 when the terminal has no such string or curses gives it no key code. Needs a screen with
/// `keypad` on. `tigetstr` reports "absent" as NULL and "not a string capability" as
/// (char *)-1, which Swift cannot compare.
static inline int ritz_key_code_for_capability(const char *name) {
    const char *s = tigetstr(name);
    if (s == NULL || s == (const char *)-1 || s[0] == 0) return 0;
    int code = key_defined(s);
    return code > 0 ? code : 0;
}
/// True when the current locale's character set is UTF-8.
static inline int ritz_codeset_is_utf8(void) {
    const char *cs = nl_langinfo(CODESET);
    return cs && (cs[0] == 'U' || cs[0] == 'u') && (cs[1] == 'T' || cs[1] == 't') && (cs[2] == 'F' || cs[2] == 'f');
}
#endif
