#pragma once
#include "vtdshim.h"
