# Suite of the audio codecs (codecs/pc_audio_codec.h): G.711 known answers against the reference
# algorithm, round trips, concealment, Opus FEC, Annex B / DTX / RFC 3389 CN, malformed payloads.
pc_add_criterion_test(audio_codec audio_codec_test.c LABELS unit)
target_link_libraries(test_codecs_audio_codec PRIVATE pc_codecs m)
