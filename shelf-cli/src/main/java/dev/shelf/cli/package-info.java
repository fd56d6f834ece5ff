/** The {@code shelf} command line: serve, models, chat, bench, version. */
@NullMarked
package dev.shelf.cli;

import org.jspecify.annotations.NullMarked;
