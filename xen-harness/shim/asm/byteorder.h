#pragma once
#include "vtdshim.h"
#define __LITTLE_ENDIAN_BITFIELD
