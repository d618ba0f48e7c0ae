/* std::ios_base_library_init() of GCC 13's libstdc++ (GLIBCXX_3.4.32): a marker a GCC-13 object references so that the
   library initialises the standard streams; Debian 12's GCC 12 libstdc++ initialises them without it, so an empty body
   is all the older runtime needs. Preloaded only for the TorchSharp peer. */
void _ZSt21ios_base_library_initv(void) {}
