#pragma once
#include "vtdshim.h"
typedef struct cpumask { unsigned long bits[4]; } cpumask_t;
