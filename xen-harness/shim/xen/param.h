#pragma once
#include "vtdshim.h"
#define custom_param(name, fn) int (*vtdshim_param_##fn)(const char *) = fn
#define boolean_param(name, var)
#define integer_param(name, var)
