/**
 * Constrained decoding: {@link dev.shelf.engine.grammar.JsonSchema} compiles a JSON Schema, {@link
 * dev.shelf.engine.grammar.JsonGrammar} recognises JSON it allows one byte at a time, and {@link
 * dev.shelf.engine.grammar.TokenConstraint} masks the logits of tokens whose bytes the grammar
 * refuses, so a model can only write such JSON.
 */
@NullMarked
package dev.shelf.engine.grammar;

import org.jspecify.annotations.NullMarked;
