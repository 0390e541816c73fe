#include "../opus/include/opus_multistream.h"
