# The SDP parser and printer of signaling/ (one description per input), and the answer built
# from it by the offer/answer code.
pc_add_fuzz_target(sdp
  SOURCES ${PC_FUZZ_DIR}/sdp_fuzz.c ${PC_FUZZ_ROOT}/signaling/sdp.c
    ${PC_FUZZ_ROOT}/signaling/sdp_neg.c
  INCLUDES ${PC_FUZZ_ROOT}/signaling)
# Seeds: an audio/video offer with SRTP, H.264 and rtcp-fb, and a minimal one with LF ends.
if(TARGET fuzz_sdp)
  set(seeds ${CMAKE_CURRENT_BINARY_DIR}/fuzz_corpus/sdp)
  file(WRITE ${seeds}/seed-av.sdp "v=0\r\no=alice 1 2 IN IP4 192.0.2.1\r\ns=-\r\n"
    "c=IN IP4 192.0.2.1\r\nb=AS:512\r\nt=0 0\r\na=sendrecv\r\n"
    "m=audio 4000 RTP/SAVP 111 0 8 101\r\na=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 useinbandfec=1;stereo=0\r\na=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\na=ptime:20\r\na=rtcp:4001 IN IP4 192.0.2.1\r\na=rtcp-mux\r\n"
    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4\r\n"
    "a=crypto:2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==\r\n"
    "a=mid:a\r\na=ssrc:1 cname:x\r\na=sendonly\r\n"
    "m=video 5000 RTP/AVPF 97\r\nc=IN IP6 2001:db8::1\r\na=rtpmap:97 H264/90000\r\n"
    "a=fmtp:97 profile-level-id=42e01f;packetization-mode=1;max-fs=3600\r\n"
    "a=rtcp-fb:* nack\r\na=rtcp-fb:97 nack pli\r\na=rtcp-fb:97 ccm fir\r\n"
    "a=rtcp-fb:* trr-int 100\r\na=rtcp-fb:97 goog-remb\r\n"
    "m=application 0 UDP/BFCP *\r\n")
  file(WRITE ${seeds}/seed-min.sdp "v=0\no=- 0 0 IN IP4 0.0.0.0\ns=\nc=IN IP4 0.0.0.0\nt=0 0\n"
    "m=audio 9 RTP/AVP 0\n")
endif()
