// Runs work on the global thread pool and delivers its result to a UI-thread receiver (docs/ENGINE.md, threads:
// colourising, pooling, hashing and file reads happen on snapshots off the UI thread). The result is posted
// through a queued call on the application object and handed over only if the receiver still exists
// (QPointer checked on the UI thread). Used instead of QFuture::then(context, …), whose continuation we saw
// lost intermittently under Qt 6.4 when the job finished while the continuation was being attached.
// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
#include <QCoreApplication>
#include <QMetaObject>
#include <QPointer>
#include <QThreadPool>

#include <memory>
#include <utility>

namespace attnscope {

/// work() runs on a pool thread and returns a value; done(value) runs on the UI thread, exactly once, unless
/// `receiver` was destroyed meanwhile. Threading: call from the UI thread.
template <typename Receiver, typename Work, typename Done>
void runInBackground(Receiver* receiver, Work work, Done done)
{
    QPointer<Receiver> guard(receiver);
    QThreadPool::globalInstance()->start([guard, work = std::move(work), done = std::move(done)]() mutable {
        auto result = std::make_shared<decltype(work())>(work());
        QMetaObject::invokeMethod(
            qApp,
            [guard, done = std::move(done), result]() mutable {
                if (guard)
                    done(std::move(*result));
            },
            Qt::QueuedConnection);
    });
}

} // namespace attnscope
