# Suite of the voice processing (codecs/pc_voice.h): echo canceller, preprocessor, resampler.
pc_add_criterion_test(voice voice_test.c LABELS unit)
target_link_libraries(test_codecs_voice PRIVATE pc_codecs m)
