# azd preprovision hook (Windows; preprovision.sh on Linux and macOS): pins the budget's start month in the azd
# environment the first time, since Azure refuses to change a budget's start date once it exists.
if (-not $env:BUDGET_START_DATE) {
    azd env set BUDGET_START_DATE ([DateTime]::UtcNow.ToString('yyyy-MM-01'))
    exit $LASTEXITCODE
}
