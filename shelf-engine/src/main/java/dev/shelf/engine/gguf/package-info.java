/**
 * Reading and writing GGUF files, the model format of llama.cpp.
 *
 * <p>{@link dev.shelf.engine.gguf.GgufFile} memory-maps a file with the FFM API (files far over 2
 * GB), parses its header, metadata and tensor table eagerly and hands out each tensor's bytes as a
 * read-only {@link java.lang.foreign.MemorySegment} slice, never copying weights. {@link
 * dev.shelf.engine.gguf.GgufWriter} writes version 3 files of the same types, which is how the
 * project makes synthetic models. Every defect of a file, whether truncated, corrupt or of a type
 * this engine does not know, surfaces as a {@link dev.shelf.engine.gguf.GgufException} that names
 * the file, what was being read (key, tensor) and the byte offset.
 *
 * <p>Layout of a GGUF file (all integers little-endian):
 *
 * <pre>
 *   magic "GGUF" | version u32 | tensor count u64 | metadata count u64
 *   metadata: (key string, value type u32, value)*
 *   tensor infos: (name string, n_dims u32, dims u64[n_dims], ggml type u32, offset u64)*
 *   padding to general.alignment (default 32)
 *   tensor data, each tensor at its offset from here, offsets multiples of the alignment
 * </pre>
 *
 * A string is a u64 byte length followed by UTF-8 bytes; an array is an element type u32, a u64
 * count and the elements. Version 2 and 3 share this layout (3 added big-endian files, which this
 * package refuses); version 1 used 32-bit counts and is refused too.
 */
@NullMarked
package dev.shelf.engine.gguf;

import org.jspecify.annotations.NullMarked;
