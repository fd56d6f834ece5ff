/** {@code shelf eval}: run datasets against shelf models, resume, list, show and report runs. */
@NullMarked
package dev.shelf.cli.eval;

import org.jspecify.annotations.NullMarked;
