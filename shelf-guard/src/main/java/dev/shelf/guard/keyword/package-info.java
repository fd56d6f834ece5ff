/**
 * Keyword libraries matched in one pass.
 *
 * <p>{@link dev.shelf.guard.keyword.KeywordLibrary} reads term files; {@link
 * dev.shelf.guard.keyword.KeywordMatcher} compiles libraries into one immutable Aho-Corasick
 * automaton over normalised text and reports matches with their original spans; {@link
 * dev.shelf.guard.keyword.KeywordGuard} reloads the files and swaps the automaton atomically;
 * {@link dev.shelf.guard.keyword.StreamFilter} applies a matcher to a stream of output deltas.
 */
@NullMarked
package dev.shelf.guard.keyword;

import org.jspecify.annotations.NullMarked;
