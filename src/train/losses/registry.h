// The loss registry's entries, one function per loss, defined in the family files.
#pragma once
#include "train/losses/loss.h"

namespace pf::train {

LossInfo l1_loss_info();               // pixel_loss.cpp
LossInfo mse_loss_info();              // pixel_loss.cpp
LossInfo charbonnier_loss_info();      // pixel_loss.cpp
LossInfo ssim_loss_info();             // ssim_loss.cpp
LossInfo mssim_loss_info();            // ssim_loss.cpp
LossInfo focal_frequency_loss_info();  // focal_frequency_loss.cpp
LossInfo hsluv_loss_info();            // hsluv_loss.cpp
LossInfo cosim_loss_info();            // cosim_loss.cpp
LossInfo sobel_edge_loss_info();       // sobel_edge_loss.cpp
LossInfo consistency_loss_info();      // consistency_loss.cpp
LossInfo gan_loss_info();              // gan_loss.cpp
LossInfo perceptual_loss_info();       // perceptual_loss.cpp
LossInfo ldl_loss_info();              // ldl_loss.cpp

}  // namespace pf::train
