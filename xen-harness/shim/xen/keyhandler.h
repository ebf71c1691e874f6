#pragma once
#include "vtdshim.h"
typedef void keyhandler_fn_t(unsigned char key);
