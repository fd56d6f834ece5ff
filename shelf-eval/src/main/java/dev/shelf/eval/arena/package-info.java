/**
 * Arena ratings: Bradley-Terry maximum likelihood from pairwise votes, bootstrap intervals and
 * ranks.
 */
@NullMarked
package dev.shelf.eval.arena;

import org.jspecify.annotations.NullMarked;
